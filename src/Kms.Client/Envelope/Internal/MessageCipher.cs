using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// The per-message AES-256-GCM key and the nonces and AAD of the header tag and the frames. One instance per message.
/// </summary>
internal sealed class MessageCipher : IDisposable
{
    public const int DataKeyLength = 32;
    public const int NonceLength = 12;
    public const int TagLength = 16;
    public const uint FinalFrameMarker = 0xFFFF_FFFF;

    private const int FrameAadLength = MessageHeader.MessageIdLength + 4 + 1 + 4;

    // HKDF info: a label so this key can never coincide with a key derived from the same data key for another purpose,
    // plus the suite id so two suites never share a content key.
    private static readonly byte[] s_infoLabel = "Kms.Client.Envelope v1 content key"u8.ToArray();

    private readonly AesGcm _aes;
    private readonly byte[] _messageId;

    private MessageCipher(AesGcm aes, byte[] messageId)
    {
        _aes = aes;
        _messageId = messageId;
    }

    /// <summary>
    /// Derives the content key: HKDF-SHA256(IKM = data key, salt = message id, info = label || suite id). A data key
    /// reused from the cache for many messages gets a fresh content key per message, so sequence-number nonces never
    /// repeat under one key.
    /// </summary>
    public static MessageCipher Create(ReadOnlySpan<byte> dataKey, byte[] messageId, EnvelopeAlgorithmSuite suite)
    {
        if (dataKey.Length != DataKeyLength)
        {
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.InvalidDataKey, "The data key is not 256 bits long.");
        }

        Span<byte> info = stackalloc byte[s_infoLabel.Length + 2];
        s_infoLabel.CopyTo(info);
        BinaryPrimitives.WriteUInt16BigEndian(info[s_infoLabel.Length..], (ushort)suite);

        Span<byte> contentKey = stackalloc byte[DataKeyLength];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, contentKey, messageId, info);
            return new MessageCipher(new AesGcm(contentKey, TagLength), messageId);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>The header tag: GCM over no plaintext, AAD = the header bytes, nonce = sequence number 0.</summary>
    public void SealHeader(ReadOnlySpan<byte> header, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, 0);
        _aes.Encrypt(nonce, ReadOnlySpan<byte>.Empty, Span<byte>.Empty, tag, header);
    }

    public bool TryOpenHeader(ReadOnlySpan<byte> header, ReadOnlySpan<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, 0);
        try
        {
            _aes.Decrypt(nonce, ReadOnlySpan<byte>.Empty, tag, Span<byte>.Empty, header);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void SealFrame(uint sequenceNumber, bool isFinal, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        Span<byte> aad = stackalloc byte[FrameAadLength];
        WriteNonce(nonce, sequenceNumber);
        WriteFrameAad(aad, sequenceNumber, isFinal, plaintext.Length);
        _aes.Encrypt(nonce, plaintext, ciphertext, tag, aad);
    }

    /// <summary>Decrypts a frame; on a tag mismatch <paramref name="plaintext"/> is zeroed by AesGcm and false returned.</summary>
    public bool TryOpenFrame(uint sequenceNumber, bool isFinal, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        Span<byte> aad = stackalloc byte[FrameAadLength];
        WriteNonce(nonce, sequenceNumber);
        WriteFrameAad(aad, sequenceNumber, isFinal, ciphertext.Length);
        try
        {
            _aes.Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    public void Dispose() => _aes.Dispose();

    // Nonce = 8 zero bytes || u32 sequence number: unique per frame within the message, and the key is unique per message.
    private static void WriteNonce(Span<byte> nonce, uint sequenceNumber)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], sequenceNumber);
    }

    // AAD = message id || u32 sequence number || u8 final flag || u32 content length: a frame cannot be moved to another
    // message or position, a regular frame cannot pass for the final one, and the final frame's length is authenticated.
    private void WriteFrameAad(Span<byte> aad, uint sequenceNumber, bool isFinal, int contentLength)
    {
        _messageId.CopyTo(aad);
        var rest = aad[MessageHeader.MessageIdLength..];
        BinaryPrimitives.WriteUInt32BigEndian(rest, sequenceNumber);
        rest[4] = isFinal ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(rest[5..], (uint)contentLength);
    }
}
