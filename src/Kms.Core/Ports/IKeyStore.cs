using Kms.Core.Events;

namespace Kms.Core.Ports;

/// <summary>
/// Durable store of keys and their versions. Every update is conditional on the record's ETag: a lost race
/// raises <see cref="Errors.KmsErrorCodes.ConcurrentModification"/> and nothing is written. Outages raise
/// <see cref="Errors.KmsErrorCodes.StorageUnavailable"/>.
/// Writes take the events that describe them: the store puts them in its outbox in the same transaction as the
/// change, so a change is never stored without its events nor an event without its change.
/// </summary>
public interface IKeyStore
{
    /// <summary>Stores a new key and its first version atomically.</summary>
    Task<KeyRecord> CreateKeyAsync(KeyRecord key, KeyVersionRecord firstVersion, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken);

    Task<KeyRecord> CreateKeyAsync(KeyRecord key, KeyVersionRecord firstVersion, CancellationToken cancellationToken) =>
        CreateKeyAsync(key, firstVersion, [], cancellationToken);

    Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken);

    Task<Page<KeyRecord>> ListKeysAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>Replaces the key's metadata if its ETag still matches; returns the record with its new ETag.</summary>
    Task<KeyRecord> UpdateKeyAsync(KeyRecord key, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken);

    Task<KeyRecord> UpdateKeyAsync(KeyRecord key, CancellationToken cancellationToken) => UpdateKeyAsync(key, [], cancellationToken);

    /// <summary>
    /// Atomically inserts <paramref name="newVersion"/> and replaces <paramref name="updatedKey"/> (conditional
    /// on its ETag). Two concurrent rotations of one key: exactly one succeeds.
    /// </summary>
    Task<(KeyRecord Key, KeyVersionRecord Version)> AddVersionAsync(KeyRecord updatedKey, KeyVersionRecord newVersion, IReadOnlyList<KmsEvent> events,
        CancellationToken cancellationToken);

    Task<(KeyRecord Key, KeyVersionRecord Version)> AddVersionAsync(KeyRecord updatedKey, KeyVersionRecord newVersion, CancellationToken cancellationToken) =>
        AddVersionAsync(updatedKey, newVersion, [], cancellationToken);

    Task<KeyVersionRecord?> GetVersionAsync(string keyId, int version, CancellationToken cancellationToken);

    /// <summary>All versions of a key, oldest first.</summary>
    Task<IReadOnlyList<KeyVersionRecord>> ListVersionsAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>Replaces a version's state if its ETag still matches. The wrapped material is never rewritten here.</summary>
    Task<KeyVersionRecord> UpdateVersionAsync(KeyVersionRecord version, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken);

    Task<KeyVersionRecord> UpdateVersionAsync(KeyVersionRecord version, CancellationToken cancellationToken) =>
        UpdateVersionAsync(version, [], cancellationToken);

    /// <summary>
    /// Every version of every key, a page at a time, in no promised order; for jobs that sweep all stored material
    /// (root-key rotation). A page may hold fewer than <paramref name="pageSize"/> rows and still have a continuation.
    /// </summary>
    Task<Page<KeyVersionRecord>> ListAllVersionsAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a version's wrapped material and root key label, if its ETag still matches; nothing else changes.
    /// Only root-key rotation does this: the key inside is the same, re-wrapped under another root.
    /// </summary>
    Task<KeyVersionRecord> ReplaceWrappedMaterialAsync(KeyVersionRecord version, byte[] wrappedMaterial, string rootKeyLabel,
        CancellationToken cancellationToken);

    /// <summary>A cheap round trip to the store for <c>GET /api/health</c>; never throws.</summary>
    Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken);
}

/// <summary>Store of aliases. Names are unique; updates are ETag-conditional like keys.</summary>
public interface IAliasStore
{
    Task<AliasRecord?> GetAliasAsync(string name, CancellationToken cancellationToken);

    /// <summary>Creates the alias; raises AliasAlreadyExists when the name is taken.</summary>
    Task<AliasRecord> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken);

    /// <summary>Re-points an existing alias, conditional on its ETag.</summary>
    Task<AliasRecord> UpdateAliasAsync(AliasRecord alias, CancellationToken cancellationToken);

    /// <summary>Deletes the alias; returns false when it did not exist.</summary>
    Task<bool> DeleteAliasAsync(string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<AliasRecord>> ListAliasesForKeyAsync(string keyId, CancellationToken cancellationToken);
}
