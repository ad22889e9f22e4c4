namespace Kms.Client;

/// <summary>
/// A data key from the KMS: the plaintext key for local encryption and the same key encrypted under a KMS key.
/// The plaintext belongs to the caller, who zeroes it when done.
/// </summary>
/// <param name="KeyId">The KMS key's canonical id (never an alias).</param>
/// <param name="Version">The key version that wrapped the data key.</param>
/// <param name="Plaintext">The data key itself.</param>
/// <param name="Ciphertext">The data key encrypted by the KMS, as <c>POST /api/decrypt</c> takes it back.</param>
public sealed record KmsDataKey(string KeyId, int Version, byte[] Plaintext, byte[] Ciphertext);

/// <summary>
/// The two KMS calls envelope encryption needs. KmsClient implements it; the envelope layer depends
/// only on this so its logic can be unit-tested with a fake.
/// </summary>
public interface IKmsDataKeyProvider
{
    /// <summary>Generates a 256-bit data key under <paramref name="keyIdOrAlias"/>, bound to <paramref name="context"/>.</summary>
    Task<KmsDataKey> GenerateDataKeyAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default);

    /// <summary>Unwraps a data key; the KMS refuses it when the context differs or the version is disabled or revoked.</summary>
    Task<KmsDataKey> DecryptDataKeyAsync(byte[] wrappedDataKey, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default);
}

/// <summary>
/// Drops cached key material when the KMS says a key or version may no longer be used (the revocation listener and
/// the polling fallback call it). Implementations must make the next use go back to the KMS.
/// </summary>
public interface IKmsKeyCacheInvalidator
{
    /// <summary>Evicts every cached entry under <paramref name="keyId"/> (KeyDisabled).</summary>
    void EvictKey(string keyId);

    /// <summary>Evicts every cached entry wrapped by one version (KeyVersionDisabled, KeyVersionRevoked).</summary>
    void EvictKeyVersion(string keyId, int version);
}
