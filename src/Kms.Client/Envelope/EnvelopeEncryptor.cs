using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Kms.Client.Envelope.Internal;

namespace Kms.Client.Envelope;

/// <summary>
/// Envelope encryption with KMS data keys: each message is encrypted locally (AES-256-GCM, framed) under a data key
/// the KMS generated and wrapped; the wrapped key travels in the message header. See docs/envelope-format.md.
/// </summary>
public sealed class EnvelopeEncryptor
{
    private const EnvelopeAlgorithmSuite Suite = EnvelopeAlgorithmSuite.Aes256GcmHkdfSha256;

    private readonly ICryptoMaterialsManager _materialsManager;
    private readonly int _frameLength;
    private readonly Func<byte[]> _newMessageId;

    /// <summary>Encrypts and decrypts with the data keys <paramref name="materialsManager"/> supplies (for example a cache).</summary>
    public EnvelopeEncryptor(ICryptoMaterialsManager materialsManager, EnvelopeEncryptorOptions? options = null)
        : this(materialsManager, options, NewRandomMessageId)
    {
    }

    /// <summary>Encrypts under <paramref name="keyIdOrAlias"/> with a new data key from the KMS for every message.</summary>
    public EnvelopeEncryptor(IKmsDataKeyProvider provider, string keyIdOrAlias, EnvelopeEncryptorOptions? options = null)
        : this(new DefaultCryptoMaterialsManager(new KmsKeyring(provider, keyIdOrAlias)), options)
    {
    }

    // The test vectors need a fixed message id; everything else uses the CSPRNG. Used for messages without a shared
    // content key (no cache, a cache miss): version 2 reads it as a 24-byte salt and an 8-byte message number.
    internal EnvelopeEncryptor(ICryptoMaterialsManager materialsManager, EnvelopeEncryptorOptions? options, Func<byte[]> newMessageId)
    {
        ArgumentNullException.ThrowIfNull(materialsManager);
        _materialsManager = materialsManager;
        _frameLength = (options ?? new EnvelopeEncryptorOptions()).FrameLength;
        _newMessageId = newMessageId;
    }

    /// <summary>Encrypts <paramref name="plaintext"/> into one message.</summary>
    /// <param name="context">
    /// Non-secret facts bound to the message (tenant, purpose): stored in clear in the header and authenticated.
    /// </param>
    public async Task<byte[]> EncryptAsync(ReadOnlyMemory<byte> plaintext, IReadOnlyDictionary<string, string>? context = null, CancellationToken cancellationToken = default)
    {
        var (canonicalContext, contextCopy) = SnapshotContext(context);
        using var materials = await GetMaterialsAsync(contextCopy, canonicalContext, plaintext.Length, cancellationToken).ConfigureAwait(false);
        using var cipher = OpenCipher(materials);
        return Seal(cipher, materials, canonicalContext, plaintext.Span);
    }

    /// <summary>
    /// Encrypts <paramref name="input"/> to <paramref name="output"/> frame by frame, in constant memory. A caching
    /// materials manager can reuse a data key only when <paramref name="input"/> is seekable (its length is known).
    /// </summary>
    public Task EncryptAsync(Stream input, Stream output, IReadOnlyDictionary<string, string>? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        long? length = input.CanSeek ? Math.Max(0, input.Length - input.Position) : null;
        return EncryptCoreAsync(input, output, context, length, cancellationToken);
    }

    /// <summary>Decrypts one message held in memory.</summary>
    /// <param name="expectedContext">Pairs the message's context must contain (it may contain more); null checks nothing.</param>
    public async Task<EnvelopeDecryptResult> DecryptAsync(ReadOnlyMemory<byte> message, IReadOnlyDictionary<string, string>? expectedContext = null, CancellationToken cancellationToken = default)
    {
        // The message is ciphertext: a copy of memory not backed by an array needs no zeroing.
        using var input = MemoryMarshal.TryGetArray(message, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(message.ToArray(), writable: false);

        // Sized so it never grows: a grown MemoryStream would leave copies of plaintext behind that cannot be zeroed.
        using var output = new MemoryStream(message.Length);
        try
        {
            var info = await DecryptCoreAsync(input, output, expectedContext, cancellationToken).ConfigureAwait(false);
            return new EnvelopeDecryptResult(output.ToArray(), info.EncryptionContext, info.KeyId, info.KeyVersion);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output.GetBuffer());
        }
    }

    /// <summary>
    /// Decrypts a message from <paramref name="input"/> to <paramref name="output"/> frame by frame, in constant memory.
    /// A frame's plaintext is written only after the frame authenticated; a message cut short throws after the frames
    /// before the cut were written, so the output is complete only when this method returns.
    /// </summary>
    public Task<EnvelopeMessageInfo> DecryptAsync(Stream input, Stream output, IReadOnlyDictionary<string, string>? expectedContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        return DecryptCoreAsync(input, output, expectedContext, cancellationToken);
    }

    private async Task EncryptCoreAsync(Stream input, Stream output, IReadOnlyDictionary<string, string>? context, long? plaintextLength, CancellationToken cancellationToken)
    {
        var (canonicalContext, contextCopy) = SnapshotContext(context);
        using var materials = await GetMaterialsAsync(contextCopy, canonicalContext, plaintextLength, cancellationToken).ConfigureAwait(false);
        using var cipher = OpenCipher(materials);
        var header = MessageHeader.Create(
            Suite, cipher.MessageId, contextCopy, canonicalContext,
            new EncryptedDataKey(materials.DataKey.KeyId, materials.DataKey.Ciphertext), _frameLength);

        cipher.BindHeaderToFirstFrame(header.Bytes);
        await output.WriteAsync(header.Bytes, cancellationToken).ConfigureAwait(false);
        await new FrameEncryptor(cipher, _frameLength).EncryptAsync(input, output, cancellationToken).ConfigureAwait(false);
    }

    // The canonical bytes validate the context; the copy is a snapshot, since the caller may change its dictionary while
    // the materials manager (or a cache key) looks at it.
    private static (byte[] Canonical, IReadOnlyDictionary<string, string> Copy) SnapshotContext(IReadOnlyDictionary<string, string>? context) =>
        (CanonicalEncryptionContext.Encode(context),
         context is null || context.Count == 0 ? CanonicalEncryptionContext.Empty : new Dictionary<string, string>(context, StringComparer.Ordinal));

    private async Task<EncryptionMaterials> GetMaterialsAsync(IReadOnlyDictionary<string, string> context, byte[] canonicalContext, long? plaintextLength, CancellationToken cancellationToken)
    {
        var request = new EncryptionMaterialsRequest(Suite, context, plaintextLength) { KnownCanonicalContext = (context, canonicalContext) };
        var materials = await _materialsManager.GetEncryptionMaterialsAsync(request, cancellationToken).ConfigureAwait(false);
        if (materials.Suite != Suite)
        {
            materials.Dispose();
            throw new InvalidOperationException("The materials manager returned materials of another algorithm suite.");
        }

        return materials;
    }

    /// <summary>
    /// The message's cipher: under the cached data key's shared content key when the materials carry a lease (no key
    /// derivation, a pooled AesGcm), else under a content key of the message's own, derived from a new message id.
    /// </summary>
    private MessageCipher OpenCipher(EncryptionMaterials materials) =>
        (materials.ContentKeyLease is { } lease ? MessageCipher.TryCreate(lease.Key, lease.MessageNumber) : null)
        ?? MessageCipher.Create(materials.DataKey.Plaintext, _newMessageId(), Suite, MessageHeader.CurrentFormatVersion);

    /// <summary>Writes the whole message into one array of its exact size: header, then frames.</summary>
    private byte[] Seal(MessageCipher cipher, EncryptionMaterials materials, byte[] canonicalContext, ReadOnlySpan<byte> plaintext)
    {
        var encryptedDataKey = new EncryptedDataKey(materials.DataKey.KeyId, materials.DataKey.Ciphertext);
        var keyId = MessageHeader.EncodeKeyId(encryptedDataKey);
        var headerLength = MessageHeader.Length(canonicalContext, keyId, encryptedDataKey);
        var length = headerLength + FrameEncryptor.BodyLength(plaintext.Length, _frameLength);
        if (length > Array.MaxLength)
        {
            throw new InvalidOperationException("The message would be larger than an array can hold; encrypt it as a stream.");
        }

        var message = new byte[length];
        MessageHeader.Write(message.AsSpan(0, headerLength), Suite, cipher.MessageId, canonicalContext, keyId, encryptedDataKey, _frameLength);
        cipher.BindHeaderToFirstFrame(message.AsMemory(0, headerLength));
        new FrameEncryptor(cipher, _frameLength).EncryptAll(plaintext, message.AsSpan(headerLength));
        return message;
    }

    private async Task<EnvelopeMessageInfo> DecryptCoreAsync(Stream input, Stream output, IReadOnlyDictionary<string, string>? expectedContext, CancellationToken cancellationToken)
    {
        var header = await MessageHeader.ReadAsync(input, cancellationToken).ConfigureAwait(false);
        byte[]? headerTag = null;
        if (header.Version == MessageHeader.FormatVersion1)
        {
            headerTag = new byte[MessageCipher.TagLength];
            await StreamIo.ReadExactlyOrTruncatedAsync(input, headerTag, cancellationToken).ConfigureAwait(false);
        }

        // Before the KMS call: a message for another tenant or purpose should not cost a round trip or an audit record.
        EnsureContains(header.EncryptionContext, expectedContext);

        using var materials = await _materialsManager.DecryptMaterialsAsync(
            new DecryptionMaterialsRequest(header.Suite, [header.EncryptedDataKey], header.EncryptionContext), cancellationToken).ConfigureAwait(false);
        if (!string.Equals(materials.DataKey.KeyId, header.EncryptedDataKey.KeyId, StringComparison.Ordinal))
        {
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.KeyIdMismatch, "The KMS unwrapped the data key with another key than the message header names.");
        }

        using var cipher = MessageCipher.Create(materials.DataKey.Plaintext, header.MessageId, header.Suite, header.Version);
        if (headerTag is null)
        {
            // Version 2: the first frame authenticates the header before any plaintext is released.
            cipher.BindHeaderToFirstFrame(header.Bytes);
        }
        else if (!cipher.TryOpenHeader(header.Bytes, headerTag))
        {
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.AuthenticationFailed, "The envelope message header did not authenticate.");
        }

        await new FrameDecryptor(cipher, header.FrameLength).DecryptAsync(input, output, cancellationToken).ConfigureAwait(false);
        return new EnvelopeMessageInfo(header.EncryptionContext, materials.DataKey.KeyId, materials.DataKey.Version);
    }

    private static void EnsureContains(IReadOnlyDictionary<string, string> actual, IReadOnlyDictionary<string, string>? expected)
    {
        if (expected is null)
        {
            return;
        }

        foreach (var (key, value) in expected)
        {
            if (!actual.TryGetValue(key, out var actualValue) || !string.Equals(actualValue, value, StringComparison.Ordinal))
            {
                // Names neither the key nor the value: context values may be sensitive to whoever reads logs.
                throw new EnvelopeDecryptionException(EnvelopeErrorReason.ContextMismatch, "The message's encryption context lacks a pair the caller required.");
            }
        }
    }

    // A random salt and message number 0: the content key is this message's alone.
    private static byte[] NewRandomMessageId()
    {
        var messageId = new byte[MessageHeader.MessageIdLength];
        RandomNumberGenerator.Fill(messageId.AsSpan(0, ContentKey.SaltLength));
        return messageId;
    }
}
