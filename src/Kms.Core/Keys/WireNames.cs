using Kms.Core.Errors;

namespace Kms.Core;

/// <summary>Two-way table between an enum and its UPPER_SNAKE wire names, with clear errors for unknown names.</summary>
internal sealed class WireNameTable<T> where T : struct, Enum
{
    private readonly Dictionary<string, T> _byName;
    private readonly Dictionary<T, string> _byValue;
    private readonly string _what;

    public WireNameTable(string what, params (T Value, string Name)[] entries)
    {
        _what = what;
        _byName = entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        _byValue = entries.ToDictionary(e => e.Value, e => e.Name);
    }

    public IEnumerable<string> Names => _byName.Keys;

    public string ToWire(T value) => _byValue[value];

    public bool TryParse(string? name, out T value) => _byName.TryGetValue(name ?? string.Empty, out value);

    public T Parse(string? name, Func<string, KmsException> error) =>
        TryParse(name, out var value)
            ? value
            : throw error($"Unknown {_what} '{Truncate(name)}'. Expected one of: {string.Join(", ", _byName.Keys)}.");

    // Echo at most a short prefix of caller input in messages.
    private static string Truncate(string? s) => s is null ? "" : s.Length <= 40 ? s : s[..40] + "...";
}

public static class KeySpecNames
{
    private static readonly WireNameTable<KeySpec> Table = new("keySpec",
        (KeySpec.Aes256, "AES_256"), (KeySpec.Rsa2048, "RSA_2048"), (KeySpec.Rsa3072, "RSA_3072"),
        (KeySpec.Rsa4096, "RSA_4096"), (KeySpec.EcP256, "EC_P256"), (KeySpec.EcP384, "EC_P384"),
        (KeySpec.HmacSha256, "HMAC_SHA256"));

    public static IEnumerable<string> All => Table.Names;
    public static string ToWire(KeySpec spec) => Table.ToWire(spec);
    public static bool TryParse(string? name, out KeySpec spec) => Table.TryParse(name, out spec);
    public static KeySpec Parse(string? name) => Table.Parse(name, KmsErrors.UnsupportedKeySpec);
}

public static class KeyUsageNames
{
    private static readonly WireNameTable<KeyUsage> Table = new("keyUsage",
        (KeyUsage.EncryptDecrypt, "ENCRYPT_DECRYPT"), (KeyUsage.SignVerify, "SIGN_VERIFY"),
        (KeyUsage.GenerateVerifyMac, "GENERATE_VERIFY_MAC"));

    public static IEnumerable<string> All => Table.Names;
    public static string ToWire(KeyUsage usage) => Table.ToWire(usage);
    public static bool TryParse(string? name, out KeyUsage usage) => Table.TryParse(name, out usage);
    public static KeyUsage Parse(string? name) => Table.Parse(name, KmsErrors.Validation);
}

public static class DataKeySpecNames
{
    private static readonly WireNameTable<DataKeySpec> Table = new("data key spec",
        (DataKeySpec.Aes256, "AES_256"), (DataKeySpec.Aes128, "AES_128"));

    public static IEnumerable<string> All => Table.Names;
    public static string ToWire(DataKeySpec spec) => Table.ToWire(spec);
    public static DataKeySpec Parse(string? name) => Table.Parse(name, KmsErrors.UnsupportedKeySpec);
}

public static class SigningAlgorithmNames
{
    private static readonly WireNameTable<SigningAlgorithm> Table = new("signing algorithm",
        (SigningAlgorithm.RsassaPssSha256, "RSASSA_PSS_SHA_256"), (SigningAlgorithm.RsassaPssSha384, "RSASSA_PSS_SHA_384"),
        (SigningAlgorithm.RsassaPssSha512, "RSASSA_PSS_SHA_512"), (SigningAlgorithm.RsassaPkcs1V15Sha256, "RSASSA_PKCS1_V1_5_SHA_256"),
        (SigningAlgorithm.RsassaPkcs1V15Sha384, "RSASSA_PKCS1_V1_5_SHA_384"), (SigningAlgorithm.RsassaPkcs1V15Sha512, "RSASSA_PKCS1_V1_5_SHA_512"),
        (SigningAlgorithm.EcdsaSha256, "ECDSA_SHA_256"), (SigningAlgorithm.EcdsaSha384, "ECDSA_SHA_384"));

    public static IEnumerable<string> All => Table.Names;
    public static string ToWire(SigningAlgorithm algorithm) => Table.ToWire(algorithm);
    public static SigningAlgorithm Parse(string? name) => Table.Parse(name, KmsErrors.UnsupportedAlgorithm);
}

public static class KeyStateNames
{
    private static readonly WireNameTable<KeyState> Table = new("key state",
        (KeyState.Enabled, "ENABLED"), (KeyState.Disabled, "DISABLED"), (KeyState.PendingDeletion, "PENDING_DELETION"),
        (KeyState.Destroyed, "DESTROYED"));

    public static string ToWire(KeyState state) => Table.ToWire(state);
}

public static class KeyVersionStateNames
{
    private static readonly WireNameTable<KeyVersionState> Table = new("key version state",
        (KeyVersionState.Enabled, "ENABLED"), (KeyVersionState.Disabled, "DISABLED"),
        (KeyVersionState.Revoked, "REVOKED"), (KeyVersionState.Destroyed, "DESTROYED"));

    public static string ToWire(KeyVersionState state) => Table.ToWire(state);
}
