using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Kms.Core.Services;

/// <summary>A version made by a rotation but not yet primary, and the primary it is to replace.</summary>
public sealed record StandbyVersion(int Version, int PreviousPrimary);

/// <summary>
/// The steps of a staged rotation, as an orchestration runs them: make a standby version, probe it, promote it, or
/// roll back. Each is idempotent (a re-run after a crash finds its own work done) and each write is one conditional
/// transaction with its events. Authorization happened when the operation was started: steps act for the
/// <see cref="Actor"/> that started it.
/// </summary>
public sealed partial class KeyRotationSteps
{
    private readonly IKeyStore _keys;
    private readonly IHsm _hsm;
    private readonly IKeyVersionProbe _probe;
    private readonly KeyCatalog _catalog;
    private readonly ChangeEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyRotationSteps> _logger;

    public KeyRotationSteps(IKeyStore keys, IHsm hsm, IKeyVersionProbe probe, KeyCatalog catalog, ChangeEvents events, TimeProvider time,
        ILogger<KeyRotationSteps> logger)
    {
        _keys = keys;
        _hsm = hsm;
        _probe = probe;
        _catalog = catalog;
        _events = events;
        _time = time;
        _logger = logger;
    }

    /// <summary>Creates the next version (enabled, not primary), tagged with <paramref name="operationId"/>; returns the one already made on a re-run.</summary>
    public Task<StandbyVersion> CreateStandbyAsync(string keyId, string operationId, Actor actor, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, cancellationToken);
            var versions = await _keys.ListVersionsAsync(key.KeyId, cancellationToken);
            if (versions.FirstOrDefault(v => v.Operation == operationId) is { } mine)
            {
                return new StandbyVersion(mine.Version, key.PrimaryVersion == mine.Version ? PreviousOf(versions, mine) : key.PrimaryVersion);
            }

            if (key.State is KeyState.PendingDeletion or KeyState.Destroyed)
            {
                throw key.State == KeyState.Destroyed ? KmsErrors.KeyDestroyed(key.KeyId) : KmsErrors.KeyPendingDeletion(key.KeyId);
            }

            var material = _hsm.GenerateKey(key.Spec);
            var now = _time.GetUtcNow();
            var number = key.LatestVersion + 1;
            var version = KeyVersions.FromMaterial(key.KeyId, number, material, now, operationId);
            var updated = key with { LatestVersion = number, UpdatedAt = now };
            await _keys.AddVersionAsync(updated, version, _events.Version(KmsEventTypes.KeyVersionCreated, updated, version, actor), cancellationToken);
            _catalog.Invalidate(key.KeyId);
            LogStandbyCreated(key.KeyId, number, operationId);
            return new StandbyVersion(number, key.PrimaryVersion);
        });

    /// <summary>The canary: a round trip through the HSM with exactly this version.</summary>
    public async Task<ProbeResult> ProbeAsync(string keyId, int version, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, cancellationToken);
        var record = await _keys.GetVersionAsync(key.KeyId, version, cancellationToken) ?? throw KmsErrors.KeyVersionNotFound(key.KeyId, version);
        if (record.State != KeyVersionState.Enabled)
        {
            return new ProbeResult(false, $"version {version} is {KeyVersionStateNames.ToWire(record.State)}");
        }

        try
        {
            return _probe.Probe(key, record);
        }
        catch (KmsException e) when (e.Kind != KmsErrorKind.Unavailable)
        {
            // The HSM refused the version (bad material, wrong root): a failed canary, not a retryable outage.
            return new ProbeResult(false, $"the HSM refused the version ({e.Code})");
        }
    }

    /// <summary>Makes <paramref name="standby"/> primary, if the primary is still the one it is to replace (or already it).</summary>
    public Task PromoteAsync(string keyId, StandbyVersion standby, Actor actor, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, cancellationToken);
            if (key.PrimaryVersion == standby.Version)
            {
                return true;
            }

            if (key.PrimaryVersion != standby.PreviousPrimary)
            {
                throw KmsErrors.OperationConflict(
                    $"The primary version of key '{key.KeyId}' changed to {key.PrimaryVersion} during the rotation; version {standby.Version} was not promoted.");
            }

            var now = _time.GetUtcNow();
            var promoted = (key with { PrimaryVersion = standby.Version, UpdatedAt = now }).RotatedAt(now);
            await _keys.UpdateKeyAsync(promoted, _events.Rotated(promoted, standby.PreviousPrimary, actor), cancellationToken);
            _catalog.Invalidate(key.KeyId);
            LogPromoted(key.KeyId, standby.Version);
            return true;
        });

    /// <summary>Undoes a rotation: the primary goes back if the standby had become it, and the standby is disabled.</summary>
    public Task RollBackAsync(string keyId, StandbyVersion standby, string reason, Actor actor, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, cancellationToken);
            if (key.PrimaryVersion == standby.Version)
            {
                key = await _keys.UpdateKeyAsync(key with { PrimaryVersion = standby.PreviousPrimary, UpdatedAt = _time.GetUtcNow() },
                    _events.Rotated(key with { PrimaryVersion = standby.PreviousPrimary }, standby.Version, actor), cancellationToken);
            }

            var version = await _keys.GetVersionAsync(key.KeyId, standby.Version, cancellationToken);
            if (version is not null && version.State != KeyVersionState.Disabled)
            {
                var disabled = version with { State = KeyVersionState.Disabled, StateChangedAt = _time.GetUtcNow() };
                await _keys.UpdateVersionAsync(disabled,
                    [.. _events.Version(KmsEventTypes.KeyVersionDisabled, key, disabled, actor), .. _events.RotationFailed(key, disabled, reason, actor)],
                    cancellationToken);
            }

            _catalog.Invalidate(key.KeyId);
            _hsm.Evict(key.KeyId, standby.Version);
            LogRolledBack(key.KeyId, standby.Version, standby.PreviousPrimary);
            return true;
        });

    /// <summary>
    /// Disables the given versions (every version but the primary when null), never the primary; used by a rewrap
    /// campaign once nothing is left on them. Returns the versions it disabled.
    /// </summary>
    public async Task<int[]> DisableVersionsAsync(string keyId, IReadOnlyCollection<int>? versions, Actor actor, CancellationToken cancellationToken)
    {
        var disabled = new List<int>();
        var key = await RequireKeyAsync(keyId, cancellationToken);
        foreach (var record in await _keys.ListVersionsAsync(key.KeyId, cancellationToken))
        {
            if (record.Version == key.PrimaryVersion || record.State != KeyVersionState.Enabled || (versions is not null && !versions.Contains(record.Version)))
            {
                continue;
            }

            var changedHere = await ConflictRetry.RunAsync(async () =>
            {
                var fresh = await _keys.GetVersionAsync(key.KeyId, record.Version, cancellationToken) ?? record;
                if (fresh.State != KeyVersionState.Enabled)
                {
                    // Changed since the list: by a second copy of this step (a re-delivered activity, which must not announce
                    // the change twice) or by a revocation (a revoked version must never be turned back into a disabled one).
                    return false;
                }

                var changed = fresh with { State = KeyVersionState.Disabled, StateChangedAt = _time.GetUtcNow() };
                await _keys.UpdateVersionAsync(changed, _events.Version(KmsEventTypes.KeyVersionDisabled, key, changed, actor), cancellationToken);
                return true;
            });
            _hsm.Evict(key.KeyId, record.Version);
            if (changedHere)
            {
                disabled.Add(record.Version);
            }
        }

        _catalog.Invalidate(key.KeyId);
        return [.. disabled];
    }

    private async Task<KeyRecord> RequireKeyAsync(string keyId, CancellationToken cancellationToken) =>
        await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);

    private static int PreviousOf(IReadOnlyList<KeyVersionRecord> versions, KeyVersionRecord mine) =>
        versions.Where(v => v.Version < mine.Version).Select(v => v.Version).DefaultIfEmpty(mine.Version).Max();

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Rotation {OperationId} created standby version {Version} of key {KeyId}")]
    private partial void LogStandbyCreated(string keyId, int version, string operationId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "Promoted version {Version} of key {KeyId} to primary")]
    private partial void LogPromoted(string keyId, int version);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning,
        Message = "Rolled back the rotation of key {KeyId}: version {Version} disabled, primary is version {PrimaryVersion}")]
    private partial void LogRolledBack(string keyId, int version, int primaryVersion);
}
