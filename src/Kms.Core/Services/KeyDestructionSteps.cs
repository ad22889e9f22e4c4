using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Kms.Core.Services;

/// <summary>
/// Destroys key material once the orchestration that owns the decision has its approvals: the versions a revocation
/// revoked, or a whole key whose deletion waiting period is over. Destroying a version empties its wrapped material in
/// the store (the only copy: the HSM holds keys only while unwrapped in a session) and marks it Destroyed, keeping the
/// record so the number is never reused. Each step is idempotent.
/// </summary>
public sealed partial class KeyDestructionSteps
{
    private readonly IKeyStore _keys;
    private readonly IAliasStore _aliases;
    private readonly IHsm _hsm;
    private readonly KeyCatalog _catalog;
    private readonly ChangeEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyDestructionSteps> _logger;

    public KeyDestructionSteps(IKeyStore keys, IAliasStore aliases, IHsm hsm, KeyCatalog catalog, ChangeEvents events, TimeProvider time,
        ILogger<KeyDestructionSteps> logger)
    {
        _keys = keys;
        _aliases = aliases;
        _hsm = hsm;
        _catalog = catalog;
        _events = events;
        _time = time;
        _logger = logger;
    }

    /// <summary>Destroys the versions revoked by <paramref name="operationId"/> (KeyDestroyed per version); returns every one of them now destroyed.</summary>
    public async Task<int[]> DestroyRevokedAsync(string keyId, string operationId, Actor actor, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, cancellationToken);
        var destroyed = new List<int>();
        foreach (var version in await _keys.ListVersionsAsync(key.KeyId, cancellationToken))
        {
            if (version.RevokedBy != operationId || version.State is not (KeyVersionState.Revoked or KeyVersionState.Destroyed))
            {
                continue;
            }

            if (version.State == KeyVersionState.Revoked)
            {
                await DestroyVersionAsync(key, version, withEvent: true, actor, cancellationToken);
            }

            destroyed.Add(version.Version);
        }

        _catalog.Invalidate(key.KeyId);
        LogVersionsDestroyed(key.KeyId, string.Join(",", destroyed), operationId);
        return [.. destroyed];
    }

    /// <summary>True while the key is pending deletion for exactly <paramref name="deletionDate"/> (not cancelled, not rescheduled).</summary>
    public async Task<bool> IsDeletionPendingAsync(string keyId, DateTimeOffset deletionDate, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, cancellationToken);
        return key.State == KeyState.PendingDeletion && key.DeletionDate == deletionDate;
    }

    /// <summary>
    /// Destroys the key scheduled for deletion at <paramref name="deletionDate"/>: the key becomes Destroyed (KeyDestroyed)
    /// in one conditional write, which is the point of no return, then every version's material is removed and the aliases
    /// are freed. False when the deletion was cancelled or rescheduled meanwhile; true when the key is (already) destroyed.
    /// </summary>
    public async Task<bool> DestroyKeyAsync(string keyId, DateTimeOffset deletionDate, Actor actor, CancellationToken cancellationToken)
    {
        var key = await ConflictRetry.RunAsync(async () =>
        {
            var current = await RequireKeyAsync(keyId, cancellationToken);
            if (current.State == KeyState.Destroyed || current.State != KeyState.PendingDeletion || current.DeletionDate != deletionDate)
            {
                return current;
            }

            // Conditional on the ETag read just now: a cancel that lands first makes this write fail and the re-read sees it.
            var destroyed = current with { State = KeyState.Destroyed, UpdatedAt = _time.GetUtcNow() };
            return await _keys.UpdateKeyAsync(destroyed, _events.Key(KmsEventTypes.KeyDestroyed, destroyed, actor), cancellationToken);
        });
        if (key.State != KeyState.Destroyed)
        {
            return false;
        }

        _catalog.Invalidate(key.KeyId);
        foreach (var version in await _keys.ListVersionsAsync(key.KeyId, cancellationToken))
        {
            if (version.State != KeyVersionState.Destroyed)
            {
                await DestroyVersionAsync(key, version, withEvent: false, actor, cancellationToken);
            }
        }

        foreach (var alias in await _aliases.ListAliasesForKeyAsync(key.KeyId, cancellationToken))
        {
            await _aliases.DeleteAliasAsync(alias.Name, cancellationToken);
            _catalog.InvalidateAlias(alias.Name);
        }

        LogKeyDestroyed(key.KeyId);
        return true;
    }

    private async Task DestroyVersionAsync(KeyRecord key, KeyVersionRecord version, bool withEvent, Actor actor, CancellationToken cancellationToken)
    {
        await ConflictRetry.RunAsync(async () =>
        {
            var fresh = await _keys.GetVersionAsync(key.KeyId, version.Version, cancellationToken) ?? version;
            if (fresh.State == KeyVersionState.Destroyed)
            {
                return fresh;
            }

            var destroyed = fresh with { State = KeyVersionState.Destroyed, WrappedMaterial = [], StateChangedAt = _time.GetUtcNow() };
            return await _keys.UpdateVersionAsync(destroyed, withEvent ? _events.Version(KmsEventTypes.KeyDestroyed, key, destroyed, actor) : [],
                cancellationToken);
        });
        _hsm.Evict(key.KeyId, version.Version);
    }

    private async Task<KeyRecord> RequireKeyAsync(string keyId, CancellationToken cancellationToken) =>
        await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Destroyed versions {Versions} of key {KeyId} revoked by operation {OperationId}")]
    private partial void LogVersionsDestroyed(string keyId, string versions, string operationId);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Warning, Message = "Destroyed key {KeyId}: its deletion waiting period ended and was approved")]
    private partial void LogKeyDestroyed(string keyId);
}
