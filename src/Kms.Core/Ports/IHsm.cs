namespace Kms.Core.Ports;

/// <summary>
/// Reference to one key version's wrapped material, enough for the HSM connector to unwrap it (or find
/// its cached handle, keyed by <see cref="KeyId"/> and <see cref="Version"/>).
/// </summary>
public sealed record HsmKeyRef(string KeyId, int Version, KeySpec Spec, ReadOnlyMemory<byte> WrappedMaterial, string RootKeyLabel);

/// <summary>Material of a new key version, generated inside the HSM; the secret part leaves it only wrapped.</summary>
/// <param name="WrappedMaterial">Secret or private key wrapped under the root key (CKM_AES_KEY_WRAP_PAD).</param>
/// <param name="PublicKey">SubjectPublicKeyInfo DER for asymmetric specs, else null.</param>
/// <param name="RootKeyLabel">Label of the root key that wrapped it.</param>
public sealed record GeneratedKeyMaterial(byte[] WrappedMaterial, byte[]? PublicKey, string RootKeyLabel);

/// <summary>Health of one component as reported by <c>GET /api/health</c>.</summary>
public sealed record ComponentHealth(bool Healthy, string Status, string? Detail = null);

/// <summary>
/// The HSM port. Implementations perform every operation on secret material inside the HSM and raise only
/// <see cref="Errors.KmsException"/>: never a vendor return code. Calls block on the device, so they are
/// synchronous; they are safe to call concurrently.
/// </summary>
public interface IHsm
{
    /// <summary>Generates a new key inside the HSM and returns it wrapped under the current root key.</summary>
    GeneratedKeyMaterial GenerateKey(KeySpec spec);

    /// <summary>AES-256-GCM encryption with a 96-bit IV and 128-bit tag; returns encrypted data followed by the tag.</summary>
    byte[] EncryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext);

    /// <summary>Inverse of <see cref="EncryptAesGcm"/>; raises InvalidCiphertext when the tag does not verify.</summary>
    byte[] DecryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> encryptedDataAndTag);

    /// <summary>Signs a digest (already hashed with the algorithm's hash). ECDSA signatures are DER-encoded.</summary>
    byte[] SignDigest(HsmKeyRef key, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest);

    /// <summary>HMAC-SHA256 of <paramref name="message"/>.</summary>
    byte[] Mac(HsmKeyRef key, ReadOnlySpan<byte> message);

    /// <summary>Random bytes from the HSM's generator.</summary>
    byte[] GenerateRandom(int length);

    /// <summary>Drops cached unwrapped handles of a key (all versions when <paramref name="version"/> is null) at once.</summary>
    void Evict(string keyId, int? version = null);

    ComponentHealth CheckHealth();
}
