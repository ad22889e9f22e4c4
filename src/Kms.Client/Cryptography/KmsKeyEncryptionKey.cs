using Azure.Core.Cryptography;

namespace Kms.Client.Cryptography;

/// <summary>
/// A KMS key as an Azure.Core key-encryption key, so Azure SDK client-side encryption (e.g. Azure.Storage.Blobs with
/// <c>ClientSideEncryptionOptions</c>) wraps its content-encryption keys with the KMS: wrapping is a KMS encrypt of the
/// key bytes, unwrapping a KMS decrypt. The key never leaves the KMS; the wrapped CEK is a KMS ciphertext.
/// </summary>
/// <remarks>
/// The key-wrap algorithm is <see cref="Algorithm"/> (<c>KMS</c>): set it as <c>KeyWrapAlgorithm</c>. Any other
/// algorithm string is refused, so a blob wrapped by something else is never sent to the KMS as if it were its own.
/// An optional encryption context is bound to every wrapped key and must be the same to unwrap.
/// </remarks>
public class KmsKeyEncryptionKey : IKeyEncryptionKey
{
    /// <summary>The key-wrap algorithm name this KEK writes and accepts.</summary>
    public const string Algorithm = "KMS";

    private readonly KmsClient _client;
    private readonly IReadOnlyDictionary<string, string>? _context;

    /// <param name="keyId">The KMS key id (or alias) that wraps. Unwrapping uses the key named in the ciphertext; when
    /// <paramref name="keyId"/> is a key id (not an alias) the key that opened it must be this one.</param>
    public KmsKeyEncryptionKey(KmsClient client, string keyId, IReadOnlyDictionary<string, string>? context = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        _client = client;
        KeyId = keyId;
        _context = context;
    }

    /// <summary>For mocking.</summary>
    protected KmsKeyEncryptionKey()
    {
        _client = null!;
        KeyId = null!;
    }

    public virtual string KeyId { get; }

    public virtual byte[] WrapKey(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        WrapAsync(algorithm, key, async: false, cancellationToken).AsTask().GetAwaiter().GetResult();

    public virtual async Task<byte[]> WrapKeyAsync(string algorithm, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        await WrapAsync(algorithm, key, async: true, cancellationToken).ConfigureAwait(false);

    public virtual byte[] UnwrapKey(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        UnwrapAsync(algorithm, encryptedKey, async: false, cancellationToken).AsTask().GetAwaiter().GetResult();

    public virtual async Task<byte[]> UnwrapKeyAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, CancellationToken cancellationToken = default) =>
        await UnwrapAsync(algorithm, encryptedKey, async: true, cancellationToken).ConfigureAwait(false);

    private async ValueTask<byte[]> WrapAsync(string algorithm, ReadOnlyMemory<byte> key, bool async, CancellationToken cancellationToken)
    {
        CheckAlgorithm(algorithm);
        // async: false runs the pipeline synchronously end to end (no sync-over-async): the sync path of Azure SDKs calls it.
        var result = await _client.EncryptCoreAsync(KeyId, key, _context, async, cancellationToken).ConfigureAwait(false);
        return result.Value.Ciphertext;
    }

    private async ValueTask<byte[]> UnwrapAsync(string algorithm, ReadOnlyMemory<byte> encryptedKey, bool async, CancellationToken cancellationToken)
    {
        CheckAlgorithm(algorithm);
        var result = (await _client.DecryptCoreAsync(encryptedKey, _context, async, cancellationToken).ConfigureAwait(false)).Value;
        if (Guid.TryParse(KeyId, out _) && !string.Equals(result.KeyId, KeyId, StringComparison.OrdinalIgnoreCase))
        {
            // Another KMS key opened it: the stored key id and the ciphertext disagree. Do not hand out the key.
            Array.Clear(result.Plaintext);
            throw new InvalidOperationException($"The wrapped key was made by KMS key '{result.KeyId}', not by '{KeyId}'.");
        }

        return result.Plaintext;
    }

    private static void CheckAlgorithm(string algorithm)
    {
        if (!string.Equals(algorithm, Algorithm, StringComparison.Ordinal))
        {
            throw new ArgumentException($"A KMS key-encryption key wraps with the '{Algorithm}' algorithm, not '{algorithm}'.", nameof(algorithm));
        }
    }
}

/// <summary>Resolves the key id stored with wrapped data (e.g. blob encryption metadata) to a <see cref="KmsKeyEncryptionKey"/>.</summary>
/// <remarks>Resolving makes no call: the KMS is asked when the key is unwrapped, where it refuses an unknown,
/// disabled or forbidden key with its error code.</remarks>
public class KmsKeyEncryptionKeyResolver : IKeyEncryptionKeyResolver
{
    private readonly KmsClient _client;
    private readonly IReadOnlyDictionary<string, string>? _context;

    public KmsKeyEncryptionKeyResolver(KmsClient client, IReadOnlyDictionary<string, string>? context = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _context = context;
    }

    /// <summary>For mocking.</summary>
    protected KmsKeyEncryptionKeyResolver()
    {
        _client = null!;
    }

    public virtual IKeyEncryptionKey Resolve(string keyId, CancellationToken cancellationToken = default) =>
        new KmsKeyEncryptionKey(_client, keyId, _context);

    public virtual Task<IKeyEncryptionKey> ResolveAsync(string keyId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Resolve(keyId, cancellationToken));
}
