using System.Text;

namespace Kms.Hsm.Pkcs11;

/// <summary>Settings of the PKCS#11 HSM connector (configuration section <c>Kms:Hsm</c>).</summary>
public sealed class Pkcs11HsmOptions
{
    public const string SectionName = "Kms:Hsm";

    /// <summary>Path of the vendor's PKCS#11 module.</summary>
    public string LibraryPath { get; set; } = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>
    /// Label of the token that holds the root key. The slot is looked up by this label on every connect,
    /// because a token's slot id changes when it is initialised.
    /// </summary>
    public string TokenLabel { get; set; } = string.Empty;

    /// <summary>PIN of the token's normal user (CKU_USER). Keep it in a secret store, never in source.</summary>
    public string UserPin { get; set; } = string.Empty;

    /// <summary>Label of the root wrapping key that wraps newly generated keys. Created only by <see cref="RootKeyCeremony"/>.</summary>
    public string RootKeyLabel { get; set; } = "kms-root-1";

    /// <summary>Most PKCS#11 sessions used for operations at once; callers beyond that wait for a free one.</summary>
    public int MaxSessions { get; set; } = 2 * Environment.ProcessorCount;

    /// <summary>Most unwrapped key handles kept in the HSM at once.</summary>
    public int HandleCacheSize { get; set; } = 10_000;

    /// <summary>How long an unwrapped key stays in the HSM after it was unwrapped; after that it is unwrapped again on use.</summary>
    public TimeSpan HandleCacheTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a caller waits for a free operation session before the HSM is reported unavailable.</summary>
    public TimeSpan SessionWaitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when a value is missing or out of range, so a bad setting stops the host at start.</summary>
    public void Validate()
    {
        Require(LibraryPath, nameof(LibraryPath));
        Require(TokenLabel, nameof(TokenLabel));
        Require(UserPin, nameof(UserPin));
        Require(RootKeyLabel, nameof(RootKeyLabel));

        // PKCS#11 token labels are a fixed 32-byte, blank-padded field.
        if (Encoding.UTF8.GetByteCount(TokenLabel) > 32)
        {
            throw new ArgumentException($"{SectionName}:{nameof(TokenLabel)} is longer than the 32 bytes a PKCS#11 token label holds.", nameof(TokenLabel));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSessions, 1, nameof(MaxSessions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxSessions, 1024, nameof(MaxSessions));
        ArgumentOutOfRangeException.ThrowIfLessThan(HandleCacheSize, 1, nameof(HandleCacheSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandleCacheTtl, TimeSpan.Zero, nameof(HandleCacheTtl));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(SessionWaitTimeout, TimeSpan.Zero, nameof(SessionWaitTimeout));
    }

    internal Pkcs11HsmOptions Clone() => (Pkcs11HsmOptions)MemberwiseClone();

    private static void Require(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{SectionName}:{name} is required.", name);
        }
    }
}
