using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>Signing algorithms (the <c>algorithm</c> strings of sign and verify).</summary>
public static class SigningAlgorithms
{
    public const string RsaPssSha256 = "RSASSA_PSS_SHA_256";
    public const string RsaPssSha384 = "RSASSA_PSS_SHA_384";
    public const string RsaPssSha512 = "RSASSA_PSS_SHA_512";
    public const string RsaPkcs1Sha256 = "RSASSA_PKCS1_V1_5_SHA_256";
    public const string RsaPkcs1Sha384 = "RSASSA_PKCS1_V1_5_SHA_384";
    public const string RsaPkcs1Sha512 = "RSASSA_PKCS1_V1_5_SHA_512";
    public const string EcdsaSha256 = "ECDSA_SHA_256";
    public const string EcdsaSha384 = "ECDSA_SHA_384";
}

/// <summary>A ciphertext and the key version that made it.</summary>
public sealed class EncryptResult
{
    [JsonConstructor]
    internal EncryptResult(byte[] ciphertext, string keyId, int version)
    {
        Ciphertext = ciphertext;
        KeyId = keyId;
        Version = version;
    }

    /// <summary>Opaque; <see cref="KmsClient.DecryptAsync"/> takes it back (it names its key and version).</summary>
    public byte[] Ciphertext { get; }

    public string KeyId { get; }

    public int Version { get; }
}

/// <summary>A plaintext and the key version that had encrypted it.</summary>
public sealed class DecryptResult
{
    [JsonConstructor]
    internal DecryptResult(byte[] plaintext, string keyId, int version)
    {
        Plaintext = plaintext;
        KeyId = keyId;
        Version = version;
    }

    public byte[] Plaintext { get; }

    public string KeyId { get; }

    public int Version { get; }
}

/// <summary>A ciphertext moved to another key or version inside the KMS.</summary>
public sealed class ReEncryptResult
{
    [JsonConstructor]
    internal ReEncryptResult(byte[] ciphertext, string keyId, int version, string sourceKeyId, int sourceVersion)
    {
        Ciphertext = ciphertext;
        KeyId = keyId;
        Version = version;
        SourceKeyId = sourceKeyId;
        SourceVersion = sourceVersion;
    }

    public byte[] Ciphertext { get; }

    public string KeyId { get; }

    public int Version { get; }

    public string SourceKeyId { get; }

    public int SourceVersion { get; }
}

/// <summary>Where <see cref="KmsClient.ReEncryptAsync"/> puts the ciphertext; by default the source key's primary version.</summary>
public sealed class ReEncryptOptions
{
    public IReadOnlyDictionary<string, string>? SourceContext { get; set; }

    public string? DestinationKeyId { get; set; }

    public IReadOnlyDictionary<string, string>? DestinationContext { get; set; }
}

/// <summary>One item of an encrypt batch.</summary>
public sealed class EncryptItem(ReadOnlyMemory<byte> plaintext, IReadOnlyDictionary<string, string>? context = null)
{
    public ReadOnlyMemory<byte> Plaintext { get; } = plaintext;

    public IReadOnlyDictionary<string, string>? Context { get; } = context;
}

/// <summary>One item of a decrypt batch.</summary>
public sealed class DecryptItem(ReadOnlyMemory<byte> ciphertext, IReadOnlyDictionary<string, string>? context = null)
{
    public ReadOnlyMemory<byte> Ciphertext { get; } = ciphertext;

    public IReadOnlyDictionary<string, string>? Context { get; } = context;
}

/// <summary>One item of a re-encrypt batch.</summary>
public sealed class ReEncryptItem(ReadOnlyMemory<byte> ciphertext, ReEncryptOptions? options = null)
{
    public ReadOnlyMemory<byte> Ciphertext { get; } = ciphertext;

    public ReEncryptOptions? Options { get; } = options;
}

/// <summary>Why one batch item failed: the code, status and detail a single request would have got.</summary>
public sealed class BatchItemError
{
    [JsonConstructor]
    internal BatchItemError(string code, int status, string detail)
    {
        Code = code;
        Status = status;
        Detail = detail;
    }

    public string Code { get; }

    public int Status { get; }

    public string Detail { get; }
}

/// <summary>The outcome of one batch item: a result, or an error; the other items are unaffected.</summary>
public sealed class BatchItemResult<T>
    where T : class
{
    internal BatchItemResult(T? value, BatchItemError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public BatchItemError? Error { get; }

    public bool Succeeded => Error is null;
}

/// <summary>What <see cref="KmsClient.GenerateDataKeyAsync"/> generates.</summary>
public sealed class GenerateDataKeyOptions
{
    /// <summary><c>AES_256</c> (default) or <c>AES_128</c>.</summary>
    public string? KeySpec { get; set; }

    public IReadOnlyDictionary<string, string>? Context { get; set; }

    /// <summary>False asks for the encrypted data key only (it is then decrypted where it is used).</summary>
    public bool IncludePlaintext { get; set; } = true;
}

/// <summary>A data key: its plaintext (unless not asked for) and the same key encrypted under the KMS key.</summary>
public sealed class DataKeyResult
{
    [JsonConstructor]
    internal DataKeyResult(byte[]? plaintext, byte[] ciphertext, string keyId, int version)
    {
        Plaintext = plaintext;
        Ciphertext = ciphertext;
        KeyId = keyId;
        Version = version;
    }

    /// <summary>The data key; the caller zeroes it when done. Null when <see cref="GenerateDataKeyOptions.IncludePlaintext"/> was false.</summary>
    public byte[]? Plaintext { get; }

    public byte[] Ciphertext { get; }

    public string KeyId { get; }

    public int Version { get; }
}

/// <summary>A signature and the key version that made it (signatures do not carry their version: keep it).</summary>
public sealed class SignResult
{
    [JsonConstructor]
    internal SignResult(byte[] signature, string keyId, int version, string algorithm)
    {
        Signature = signature;
        KeyId = keyId;
        Version = version;
        Algorithm = algorithm;
    }

    /// <summary>DER-encoded for ECDSA.</summary>
    public byte[] Signature { get; }

    public string KeyId { get; }

    public int Version { get; }

    public string Algorithm { get; }
}

/// <summary>Whether a signature or MAC is valid, and the version checked against.</summary>
public sealed class VerifyResult
{
    [JsonConstructor]
    internal VerifyResult(bool valid, string keyId, int version)
    {
        Valid = valid;
        KeyId = keyId;
        Version = version;
    }

    public bool Valid { get; }

    public string KeyId { get; }

    public int Version { get; }
}

/// <summary>A MAC and the key version that made it.</summary>
public sealed class MacResult
{
    [JsonConstructor]
    internal MacResult(byte[] mac, string keyId, int version)
    {
        Mac = mac;
        KeyId = keyId;
        Version = version;
    }

    public byte[] Mac { get; }

    public string KeyId { get; }

    public int Version { get; }
}

/// <summary>The public half of an asymmetric key version.</summary>
public sealed class KmsPublicKey
{
    [JsonConstructor]
    internal KmsPublicKey(string keyId, int version, string keySpec, string publicKey)
    {
        KeyId = keyId;
        Version = version;
        KeySpec = keySpec;
        PublicKey = publicKey;
    }

    public string KeyId { get; }

    public int Version { get; }

    public string KeySpec { get; }

    /// <summary>SubjectPublicKeyInfo PEM (<c>-----BEGIN PUBLIC KEY-----</c>), as openssl and <c>ImportFromPem</c> read it.</summary>
    public string PublicKey { get; }
}
