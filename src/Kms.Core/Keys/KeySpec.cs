namespace Kms.Core;

/// <summary>The type and size of a key's material. Wire names are in <see cref="KeySpecNames"/>.</summary>
public enum KeySpec
{
    Aes256,
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcP256,
    EcP384,
    HmacSha256,
}

/// <summary>What a key may be used for. A key's usage is fixed at creation.</summary>
public enum KeyUsage
{
    EncryptDecrypt,
    SignVerify,
    GenerateVerifyMac,
}

/// <summary>Spec of a data key returned by generate-data-key.</summary>
public enum DataKeySpec
{
    Aes256,
    Aes128,
}

public static class KeySpecExtensions
{
    public static bool IsSymmetric(this KeySpec spec) => spec is KeySpec.Aes256 or KeySpec.HmacSha256;

    public static bool IsRsa(this KeySpec spec) => spec is KeySpec.Rsa2048 or KeySpec.Rsa3072 or KeySpec.Rsa4096;

    public static bool IsEc(this KeySpec spec) => spec is KeySpec.EcP256 or KeySpec.EcP384;

    /// <summary>The one usage each spec supports; RSA encryption is not offered (ciphertexts are AES-GCM only).</summary>
    public static KeyUsage DefaultUsage(this KeySpec spec) => spec switch
    {
        KeySpec.Aes256 => KeyUsage.EncryptDecrypt,
        KeySpec.HmacSha256 => KeyUsage.GenerateVerifyMac,
        _ => KeyUsage.SignVerify,
    };

    public static int RsaBits(this KeySpec spec) => spec switch
    {
        KeySpec.Rsa2048 => 2048,
        KeySpec.Rsa3072 => 3072,
        KeySpec.Rsa4096 => 4096,
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "Not an RSA key spec."),
    };

    public static int DataKeyBytes(this DataKeySpec spec) => spec == DataKeySpec.Aes128 ? 16 : 32;
}
