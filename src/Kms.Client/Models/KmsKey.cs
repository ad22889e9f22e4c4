using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>Key specs the KMS supports (the <c>keySpec</c> strings of the API).</summary>
public static class KeySpecs
{
    public const string Aes256 = "AES_256";
    public const string Rsa2048 = "RSA_2048";
    public const string Rsa3072 = "RSA_3072";
    public const string Rsa4096 = "RSA_4096";
    public const string EcP256 = "EC_P256";
    public const string EcP384 = "EC_P384";
    public const string HmacSha256 = "HMAC_SHA256";
}

/// <summary>The one usage each key spec supports.</summary>
public static class KeyUsages
{
    public const string EncryptDecrypt = "ENCRYPT_DECRYPT";
    public const string SignVerify = "SIGN_VERIFY";
    public const string GenerateVerifyMac = "GENERATE_VERIFY_MAC";
}

/// <summary>A KMS key (never its material).</summary>
public sealed class KmsKey
{
    [JsonConstructor]
    internal KmsKey(string keyId, string keySpec, string keyUsage, string state, int primaryVersion, int latestVersion, string? description,
        IReadOnlyDictionary<string, string>? tags, IReadOnlyList<string>? aliases, DateTimeOffset createdAt, DateTimeOffset updatedAt,
        bool deletionProtection, DateTimeOffset? deletionDate, int? rotationPeriodDays, DateTimeOffset? nextRotationAt)
    {
        KeyId = keyId;
        KeySpec = keySpec;
        KeyUsage = keyUsage;
        State = state;
        PrimaryVersion = primaryVersion;
        LatestVersion = latestVersion;
        Description = description;
        Tags = tags ?? new Dictionary<string, string>();
        Aliases = aliases;
        CreatedAt = createdAt;
        UpdatedAt = updatedAt;
        DeletionProtection = deletionProtection;
        DeletionDate = deletionDate;
        RotationPeriodDays = rotationPeriodDays;
        NextRotationAt = nextRotationAt;
    }

    public string KeyId { get; }

    public string KeySpec { get; }

    public string KeyUsage { get; }

    /// <summary>ENABLED, DISABLED, PENDING_DELETION or DESTROYED.</summary>
    public string State { get; }

    public int PrimaryVersion { get; }

    public int LatestVersion { get; }

    public string? Description { get; }

    public IReadOnlyDictionary<string, string> Tags { get; }

    /// <summary>The key's aliases; only <see cref="KmsClient.GetKeyAsync"/> fills it.</summary>
    public IReadOnlyList<string>? Aliases { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset UpdatedAt { get; }

    public bool DeletionProtection { get; }

    /// <summary>When a key pending deletion will be destroyed (after the approvals).</summary>
    public DateTimeOffset? DeletionDate { get; }

    public int? RotationPeriodDays { get; }

    public DateTimeOffset? NextRotationAt { get; }
}

/// <summary>What <see cref="KmsClient.CreateKeyAsync"/> creates.</summary>
public sealed class CreateKeyOptions
{
    public CreateKeyOptions(string keySpec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keySpec);
        KeySpec = keySpec;
    }

    /// <summary>One of <see cref="KeySpecs"/>.</summary>
    public string KeySpec { get; }

    /// <summary>Optional: the spec's only usage is the default.</summary>
    public string? KeyUsage { get; set; }

    public string? Alias { get; set; }

    public string? Description { get; set; }

    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>();

    public bool? DeletionProtection { get; set; }
}

/// <summary>One version of a key.</summary>
public sealed class KmsKeyVersion
{
    [JsonConstructor]
    internal KmsKeyVersion(string keyId, int version, string state, bool primary, DateTimeOffset createdAt, DateTimeOffset stateChangedAt)
    {
        KeyId = keyId;
        Version = version;
        State = state;
        Primary = primary;
        CreatedAt = createdAt;
        StateChangedAt = stateChangedAt;
    }

    public string KeyId { get; }

    public int Version { get; }

    /// <summary>ENABLED, DISABLED, REVOKED or DESTROYED.</summary>
    public string State { get; }

    public bool Primary { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset StateChangedAt { get; }
}

/// <summary>A key's versions and which one is primary.</summary>
public sealed class KmsKeyVersionList
{
    [JsonConstructor]
    internal KmsKeyVersionList(string keyId, int primaryVersion, IReadOnlyList<KmsKeyVersion> versions)
    {
        KeyId = keyId;
        PrimaryVersion = primaryVersion;
        Versions = versions;
    }

    public string KeyId { get; }

    public int PrimaryVersion { get; }

    public IReadOnlyList<KmsKeyVersion> Versions { get; }
}

/// <summary>The answer of an immediate rotation: the new version, now primary.</summary>
public sealed class KeyRotationResult
{
    [JsonConstructor]
    internal KeyRotationResult(string keyId, int version, int primaryVersion)
    {
        KeyId = keyId;
        Version = version;
        PrimaryVersion = primaryVersion;
    }

    public string KeyId { get; }

    public int Version { get; }

    public int PrimaryVersion { get; }
}

/// <summary>An alias and the key it names.</summary>
public sealed class KmsAlias
{
    [JsonConstructor]
    internal KmsAlias(string alias, string keyId, DateTimeOffset createdAt, DateTimeOffset updatedAt)
    {
        Alias = alias;
        KeyId = keyId;
        CreatedAt = createdAt;
        UpdatedAt = updatedAt;
    }

    public string Alias { get; }

    public string KeyId { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset UpdatedAt { get; }
}
