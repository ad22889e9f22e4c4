namespace Kms.Core;

/// <summary>
/// A key's metadata. Its material lives in <see cref="KeyVersionRecord"/>s; <see cref="PrimaryVersion"/>
/// is the one new encryptions and signatures use.
/// </summary>
/// <param name="ETag">Opaque concurrency token of the stored row; updates are conditional on it.</param>
/// <param name="DeletionProtection">When set, deletion cannot be scheduled until an admin clears it.</param>
/// <param name="DeletionDate">When the key is to be destroyed; set only while <see cref="KeyState.PendingDeletion"/>.</param>
/// <param name="RotationPeriodDays">Rotate automatically every so many days; null: only when asked.</param>
/// <param name="NextRotationAt">When the scheduler starts the next staged rotation; set with the period.</param>
/// <param name="DeletionRequestedBy">Who scheduled the deletion: that principal may not approve the destruction.</param>
public sealed record KeyRecord(
    string KeyId,
    KeySpec Spec,
    KeyUsage Usage,
    KeyState State,
    int PrimaryVersion,
    int LatestVersion,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? ETag = null,
    bool DeletionProtection = false,
    DateTimeOffset? DeletionDate = null,
    int? RotationPeriodDays = null,
    DateTimeOffset? NextRotationAt = null,
    string? DeletionRequestedBy = null)
{
    /// <summary>The key after a rotation at <paramref name="now"/>: the next one is a period later (unchanged without a period).</summary>
    public KeyRecord RotatedAt(DateTimeOffset now) => RotationPeriodDays is { } days ? this with { NextRotationAt = now.AddDays(days) } : this;
}

/// <summary>
/// One version of a key. The material is immutable: generated in the HSM and stored only wrapped under
/// the root key named by <see cref="RootKeyLabel"/>. Only the state changes.
/// </summary>
/// <param name="WrappedMaterial">Secret or private key wrapped with CKM_AES_KEY_WRAP_PAD under the root key.</param>
/// <param name="PublicKey">SubjectPublicKeyInfo (DER) for asymmetric keys; null for symmetric ones.</param>
/// <param name="Operation">The operation (orchestration instance) that created the version, if any: lets a re-run
/// step find the version it already made instead of making another.</param>
public sealed record KeyVersionRecord(
    string KeyId,
    int Version,
    KeyVersionState State,
    byte[] WrappedMaterial,
    byte[]? PublicKey,
    string RootKeyLabel,
    DateTimeOffset CreatedAt,
    DateTimeOffset StateChangedAt,
    string? ETag = null,
    string? Operation = null,
    string? RevokedBy = null)
{
    /// <summary>True when the version was revoked or destroyed: no state change may bring it back.</summary>
    public bool IsWithdrawn => State is KeyVersionState.Revoked or KeyVersionState.Destroyed;
}

/// <summary>A friendly name that points at a key. Aliases can be re-pointed; key ids never change.</summary>
public sealed record AliasRecord(string Name, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? ETag = null);

/// <summary>A page of results and the token for the next one (null when there is no more).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? ContinuationToken);

/// <summary>New version records from HSM-generated material: the one place that lays them out.</summary>
public static class KeyVersions
{
    /// <summary>An enabled version <paramref name="number"/> of the key, created now, optionally tagged with the operation that made it.</summary>
    public static KeyVersionRecord FromMaterial(string keyId, int number, Ports.GeneratedKeyMaterial material, DateTimeOffset now, string? operation = null) =>
        new(keyId, number, KeyVersionState.Enabled, material.WrappedMaterial, material.PublicKey, material.RootKeyLabel, now, now, Operation: operation);
}
