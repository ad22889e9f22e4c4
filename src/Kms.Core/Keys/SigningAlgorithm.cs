using System.Security.Cryptography;

namespace Kms.Core;

/// <summary>Signature algorithms offered for SIGN_VERIFY keys.</summary>
public enum SigningAlgorithm
{
    RsassaPssSha256,
    RsassaPssSha384,
    RsassaPssSha512,
    RsassaPkcs1V15Sha256,
    RsassaPkcs1V15Sha384,
    RsassaPkcs1V15Sha512,
    EcdsaSha256,
    EcdsaSha384,
}

public static class SigningAlgorithmExtensions
{
    public static HashAlgorithmName Hash(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.RsassaPssSha256 or SigningAlgorithm.RsassaPkcs1V15Sha256 or SigningAlgorithm.EcdsaSha256 => HashAlgorithmName.SHA256,
        SigningAlgorithm.RsassaPssSha384 or SigningAlgorithm.RsassaPkcs1V15Sha384 or SigningAlgorithm.EcdsaSha384 => HashAlgorithmName.SHA384,
        _ => HashAlgorithmName.SHA512,
    };

    public static int DigestLength(this SigningAlgorithm algorithm) => algorithm.Hash().Name switch
    {
        "SHA256" => 32,
        "SHA384" => 48,
        _ => 64,
    };

    public static bool IsPss(this SigningAlgorithm algorithm) =>
        algorithm is SigningAlgorithm.RsassaPssSha256 or SigningAlgorithm.RsassaPssSha384 or SigningAlgorithm.RsassaPssSha512;

    public static bool IsEcdsa(this SigningAlgorithm algorithm) =>
        algorithm is SigningAlgorithm.EcdsaSha256 or SigningAlgorithm.EcdsaSha384;

    /// <summary>
    /// RSA keys take any RSASSA algorithm; an EC key takes only the ECDSA hash that matches its curve
    /// (P-256 with SHA-256, P-384 with SHA-384), as FIPS 186 recommends.
    /// </summary>
    public static bool IsCompatibleWith(this SigningAlgorithm algorithm, KeySpec spec) => spec switch
    {
        KeySpec.Rsa2048 or KeySpec.Rsa3072 or KeySpec.Rsa4096 => !algorithm.IsEcdsa(),
        KeySpec.EcP256 => algorithm == SigningAlgorithm.EcdsaSha256,
        KeySpec.EcP384 => algorithm == SigningAlgorithm.EcdsaSha384,
        _ => false,
    };

    public static byte[] HashData(this SigningAlgorithm algorithm, ReadOnlySpan<byte> message) => algorithm.Hash().Name switch
    {
        "SHA256" => SHA256.HashData(message),
        "SHA384" => SHA384.HashData(message),
        _ => SHA512.HashData(message),
    };
}
