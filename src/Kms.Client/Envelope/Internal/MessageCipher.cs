using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// The AES-256-GCM key, nonces and AAD of one message's header tag and frames. The key is either the message's own
/// (derived for this message and disposed with it) or rented from a <see cref="ContentKey"/> shared by many messages
/// (given back on dispose).
/// </summary>
internal sealed class MessageCipher : IDisposable
{
    public const int DataKeyLength = 32;
    public const int NonceLength = 12;
    public const int TagLength = 16;
    public const uint FinalFrameMarker = 0xFFFF_FFFF;

    private const int FrameAadLength = MessageHeader.MessageIdLength + 4 + 1 + 4;

    // A typical header (a short context, one wrapped key) fits; a large one goes to the pool.
    private const int StackAadLimit = 1024;

    private readonly AesGcm _aes;
    private readonly ContentKey? _owner;
    private readonly byte[] _messageId;

    // The nonce's first 8 bytes: zero in version 1 (the key is unique per message), the message number in version 2.
    private readonly ulong _noncePrefix;

    private ReadOnlyMemory<byte> _header;

    private MessageCipher(AesGcm aes, ContentKey? owner, byte[] messageId, ulong noncePrefix)
    {
        _aes = aes;
        _owner = owner;
        _messageId = messageId;
        _noncePrefix = noncePrefix;
    }

    /// <summary>The message id the header carries; its frames' AAD starts with it.</summary>
    public byte[] MessageId => _messageId;

    /// <summary>
    /// A cipher with a key of the message's own, derived from <paramref name="messageId"/>: version 1 with
    /// HKDF salt = the whole id and nonce prefix 0; version 2 with salt = its first 24 bytes and nonce prefix = its last
    /// 8 (the message number). Decryption always takes this path, and so does encryption without a shared key.
    /// </summary>
    public static MessageCipher Create(ReadOnlySpan<byte> dataKey, byte[] messageId, EnvelopeAlgorithmSuite suite, byte formatVersion)
    {
        Span<byte> contentKey = stackalloc byte[DataKeyLength];
        try
        {
            var salt = formatVersion == 1 ? messageId.AsSpan() : messageId.AsSpan(0, ContentKey.SaltLength);
            ContentKey.Derive(dataKey, suite, formatVersion, salt, contentKey);
            var noncePrefix = formatVersion == 1 ? 0 : BinaryPrimitives.ReadUInt64BigEndian(messageId.AsSpan(ContentKey.SaltLength));
            return new MessageCipher(new AesGcm(contentKey, TagLength), owner: null, messageId, noncePrefix);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>
    /// A version 2 cipher under a shared <paramref name="contentKey"/> for message number
    /// <paramref name="messageNumber"/> (reserved by the caller); null if the key retired meanwhile.
    /// </summary>
    public static MessageCipher? TryCreate(ContentKey contentKey, ulong messageNumber)
    {
        var aes = contentKey.Rent();
        if (aes is null)
        {
            return null;
        }

        var messageId = new byte[MessageHeader.MessageIdLength];
        contentKey.Salt.CopyTo(messageId, 0);
        BinaryPrimitives.WriteUInt64BigEndian(messageId.AsSpan(ContentKey.SaltLength), messageNumber);
        return new MessageCipher(aes, contentKey, messageId, messageNumber);
    }

    /// <summary>Version 1's header tag: GCM over no plaintext, AAD = the header bytes, nonce = sequence number 0.</summary>
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

    /// <summary>
    /// Version 2 has no header tag: the header bytes are authenticated as the start of the first frame's AAD, so a
    /// message costs one GCM operation per frame and nothing more. Call before sealing or opening frame 1.
    /// </summary>
    public void BindHeaderToFirstFrame(ReadOnlyMemory<byte> header) => _header = header;

    public void SealFrame(uint sequenceNumber, bool isFinal, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, sequenceNumber);
        var headerLength = sequenceNumber == 1 ? _header.Length : 0;
        byte[]? rented = null;
        var aad = headerLength + FrameAadLength <= StackAadLimit
            ? stackalloc byte[StackAadLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(headerLength + FrameAadLength));
        try
        {
            aad = WriteFrameAad(aad, headerLength, sequenceNumber, isFinal, plaintext.Length);
            _aes.Encrypt(nonce, plaintext, ciphertext, tag, aad);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Decrypts a frame; on a tag mismatch <paramref name="plaintext"/> is zeroed by AesGcm and false returned.</summary>
    public bool TryOpenFrame(uint sequenceNumber, bool isFinal, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, sequenceNumber);
        var headerLength = sequenceNumber == 1 ? _header.Length : 0;
        byte[]? rented = null;
        var aad = headerLength + FrameAadLength <= StackAadLimit
            ? stackalloc byte[StackAadLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(headerLength + FrameAadLength));
        try
        {
            aad = WriteFrameAad(aad, headerLength, sequenceNumber, isFinal, ciphertext.Length);
            _aes.Decrypt(nonce, ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public void Dispose()
    {
        if (_owner is null)
        {
            _aes.Dispose();
        }
        else
        {
            _owner.Return(_aes);
        }
    }

    // Nonce = u64 prefix || u32 sequence number: unique per frame within the message; across messages the key differs
    // (version 1, and version 2 without a shared key) or the prefix, the message number, does (a shared v2 key).
    private void WriteNonce(Span<byte> nonce, uint sequenceNumber)
    {
        BinaryPrimitives.WriteUInt64BigEndian(nonce, _noncePrefix);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], sequenceNumber);
    }

    // AAD = [version 2, frame 1 only: the header bytes] || message id || u32 sequence number || u8 final flag || u32 content
    // length: the header cannot change, a frame cannot be moved to another message or position, a regular frame cannot
    // pass for the final one, and the final frame's length is authenticated. Returns the AAD's part of the buffer.
    private Span<byte> WriteFrameAad(Span<byte> buffer, int headerLength, uint sequenceNumber, bool isFinal, int contentLength)
    {
        _header.Span[..headerLength].CopyTo(buffer);
        var aad = buffer[headerLength..];
        _messageId.CopyTo(aad);
        var rest = aad[MessageHeader.MessageIdLength..];
        BinaryPrimitives.WriteUInt32BigEndian(rest, sequenceNumber);
        rest[4] = isFinal ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(rest[5..], (uint)contentLength);
        return buffer[..(headerLength + FrameAadLength)];
    }
}
