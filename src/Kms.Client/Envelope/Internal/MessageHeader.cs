using System.Buffers.Binary;
using System.Text;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// The message header. Format versions 1 and 2 share its layout and differ only in what the message id means (see
/// <see cref="MessageCipher"/>); this code writes version 2 and reads both. <see cref="Bytes"/> is the exact
/// serialized header without its authentication tag; it is the tag's additional authenticated data.
/// </summary>
internal sealed class MessageHeader
{
    public const byte FormatVersion1 = 0x01;
    public const byte FormatVersion2 = 0x02;
    public const byte CurrentFormatVersion = FormatVersion2;
    public const byte ContentTypeFramed = 0x02;
    public const int MessageIdLength = 32;
    public const int TagLength = 16;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private MessageHeader(
        byte version,
        EnvelopeAlgorithmSuite suite,
        byte[] messageId,
        IReadOnlyDictionary<string, string> context,
        EncryptedDataKey encryptedDataKey,
        int frameLength,
        byte[] bytes)
    {
        Version = version;
        Suite = suite;
        MessageId = messageId;
        EncryptionContext = context;
        EncryptedDataKey = encryptedDataKey;
        FrameLength = frameLength;
        Bytes = bytes;
    }

    public byte Version { get; }

    public EnvelopeAlgorithmSuite Suite { get; }

    public byte[] MessageId { get; }

    public IReadOnlyDictionary<string, string> EncryptionContext { get; }

    public EncryptedDataKey EncryptedDataKey { get; }

    public int FrameLength { get; }

    public byte[] Bytes { get; }

    public static MessageHeader Create(
        EnvelopeAlgorithmSuite suite,
        byte[] messageId,
        IReadOnlyDictionary<string, string> context,
        byte[] canonicalContext,
        EncryptedDataKey encryptedDataKey,
        int frameLength)
    {
        var keyId = EncodeKeyId(encryptedDataKey);
        var bytes = new byte[Length(canonicalContext, keyId, encryptedDataKey)];
        Write(bytes, suite, messageId, canonicalContext, keyId, encryptedDataKey, frameLength);
        return new MessageHeader(CurrentFormatVersion, suite, messageId, context, encryptedDataKey, frameLength, bytes);
    }

    /// <summary>The key id's UTF-8 bytes, after checking it and the wrapped key against the header's bounds.</summary>
    public static byte[] EncodeKeyId(EncryptedDataKey encryptedDataKey)
    {
        var keyId = s_strictUtf8.GetBytes(encryptedDataKey.KeyId);
        if (keyId.Length is 0 or > EnvelopeLimits.MaxKeyIdBytes)
        {
            throw new InvalidOperationException("The KMS key id of the data key is empty or too long for the message header.");
        }

        if (encryptedDataKey.Ciphertext.Length is 0 or > EnvelopeLimits.MaxWrappedDataKeyBytes)
        {
            throw new InvalidOperationException("The wrapped data key is empty or too long for the message header.");
        }

        return keyId;
    }

    public static int Length(byte[] canonicalContext, byte[] keyId, EncryptedDataKey encryptedDataKey) =>
        1 + 2 + MessageIdLength + 2 + canonicalContext.Length + 2 + 2 + keyId.Length + 2 + encryptedDataKey.Ciphertext.Length + 1 + 4;

    /// <summary>Writes a current-version header of exactly <see cref="Length"/> bytes to <paramref name="destination"/>.</summary>
    public static void Write(
        Span<byte> destination,
        EnvelopeAlgorithmSuite suite,
        byte[] messageId,
        byte[] canonicalContext,
        byte[] keyId,
        EncryptedDataKey encryptedDataKey,
        int frameLength)
    {
        var writer = new SpanWriter(destination);
        writer.WriteByte(CurrentFormatVersion);
        writer.WriteUInt16((ushort)suite);
        writer.Write(messageId);
        writer.WriteUInt16((ushort)canonicalContext.Length);
        writer.Write(canonicalContext);
        writer.WriteUInt16(1);
        writer.WriteUInt16((ushort)keyId.Length);
        writer.Write(keyId);
        writer.WriteUInt16((ushort)encryptedDataKey.Ciphertext.Length);
        writer.Write(encryptedDataKey.Ciphertext);
        writer.WriteByte(ContentTypeFramed);
        writer.WriteUInt32((uint)frameLength);
    }

    /// <summary>
    /// Reads a header field by field, checking each length against <see cref="EnvelopeLimits"/> before reading what it
    /// announces. The tag that follows the header is not read.
    /// </summary>
    public static async Task<MessageHeader> ReadAsync(Stream input, CancellationToken cancellationToken)
    {
        var reader = new HeaderReader(input);

        var version = (await reader.ReadAsync(1, cancellationToken).ConfigureAwait(false))[0];
        if (version is not (FormatVersion1 or FormatVersion2))
        {
            throw EnvelopeDecryptionException.Malformed("unknown format version");
        }

        var suite = (EnvelopeAlgorithmSuite)BinaryPrimitives.ReadUInt16BigEndian(await reader.ReadAsync(2, cancellationToken).ConfigureAwait(false));
        if (suite != EnvelopeAlgorithmSuite.Aes256GcmHkdfSha256)
        {
            throw EnvelopeDecryptionException.Malformed("unknown algorithm suite");
        }

        var messageId = await reader.ReadAsync(MessageIdLength, cancellationToken).ConfigureAwait(false);

        int contextLength = BinaryPrimitives.ReadUInt16BigEndian(await reader.ReadAsync(2, cancellationToken).ConfigureAwait(false));
        if (contextLength is < 2 or > EnvelopeLimits.MaxCanonicalContextBytes)
        {
            throw EnvelopeDecryptionException.Malformed("encryption context length out of bounds");
        }

        var context = CanonicalEncryptionContext.Decode((await reader.ReadAsync(contextLength, cancellationToken).ConfigureAwait(false)));

        int keyCount = BinaryPrimitives.ReadUInt16BigEndian(await reader.ReadAsync(2, cancellationToken).ConfigureAwait(false));
        if (keyCount is < 1 or > EnvelopeLimits.MaxEncryptedDataKeys)
        {
            throw EnvelopeDecryptionException.Malformed("encrypted data key count out of bounds");
        }

        int keyIdLength = BinaryPrimitives.ReadUInt16BigEndian(await reader.ReadAsync(2, cancellationToken).ConfigureAwait(false));
        if (keyIdLength is < 1 or > EnvelopeLimits.MaxKeyIdBytes)
        {
            throw EnvelopeDecryptionException.Malformed("key id length out of bounds");
        }

        string keyId;
        try
        {
            keyId = s_strictUtf8.GetString((await reader.ReadAsync(keyIdLength, cancellationToken).ConfigureAwait(false)));
        }
        catch (DecoderFallbackException)
        {
            throw EnvelopeDecryptionException.Malformed("key id is not valid UTF-8");
        }

        int wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(await reader.ReadAsync(2, cancellationToken).ConfigureAwait(false));
        if (wrappedLength is < 1 or > EnvelopeLimits.MaxWrappedDataKeyBytes)
        {
            throw EnvelopeDecryptionException.Malformed("wrapped data key length out of bounds");
        }

        var wrapped = await reader.ReadAsync(wrappedLength, cancellationToken).ConfigureAwait(false);

        var contentType = (await reader.ReadAsync(1, cancellationToken).ConfigureAwait(false))[0];
        if (contentType != ContentTypeFramed)
        {
            throw EnvelopeDecryptionException.Malformed("unknown content type");
        }

        var frameLength = BinaryPrimitives.ReadUInt32BigEndian((await reader.ReadAsync(4, cancellationToken).ConfigureAwait(false)));
        if (frameLength is < EnvelopeLimits.MinFrameLength or > EnvelopeLimits.MaxFrameLength)
        {
            throw EnvelopeDecryptionException.Malformed("frame length out of bounds");
        }

        return new MessageHeader(version, suite, messageId, context, new EncryptedDataKey(keyId, wrapped), (int)frameLength, reader.ToArray());
    }

    /// <summary>Accumulates the header's bytes as they are read, so the exact bytes can be authenticated.</summary>
    private sealed class HeaderReader(Stream input)
    {
        private readonly MemoryStream _bytes = new();

        public async Task<byte[]> ReadAsync(int count, CancellationToken cancellationToken)
        {
            var buffer = new byte[count];
            await StreamIo.ReadExactlyOrTruncatedAsync(input, buffer, cancellationToken).ConfigureAwait(false);
            _bytes.Write(buffer);
            return buffer;
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}
