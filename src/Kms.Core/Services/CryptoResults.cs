namespace Kms.Core.Services;

public sealed record EncryptResult(byte[] Ciphertext, string KeyId, int Version);

public sealed record DecryptResult(byte[] Plaintext, string KeyId, int Version);

public sealed record ReEncryptResult(byte[] Ciphertext, string KeyId, int Version, string SourceKeyId, int SourceVersion);

public sealed record DataKeyResult(byte[] Plaintext, byte[] Ciphertext, string KeyId, int Version);

public sealed record SignResult(byte[] Signature, string KeyId, int Version, SigningAlgorithm Algorithm);

public sealed record VerifyResult(bool Valid, string KeyId, int Version);

public sealed record MacResult(byte[] Mac, string KeyId, int Version);

public sealed record PublicKeyResult(byte[] SubjectPublicKeyInfo, KeySpec Spec, string KeyId, int Version)
{
    /// <summary>The public key as PEM ("-----BEGIN PUBLIC KEY-----").</summary>
    public string ToPem() => System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo);
}
