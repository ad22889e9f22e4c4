using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Kms.Core.Services;

/// <summary>What a revocation step did: the versions now revoked by the operation and the events that announce it.</summary>
/// <param name="PrimaryVersion">The key's primary when revoked (if it is among the versions, the key cannot encrypt until replaced).</param>
/// <param name="EventIds">Ids of the KeyVersionRevoked events written by this call (empty on a re-run, or with events off).</param>
public sealed record RevocationResult(int[] Versions, int PrimaryVersion, string[] EventIds, DateTimeOffset RevokedAt);

/// <summary>
/// The steps of an emergency revocation that touch key state: revoke versions at once, and learn when the world was told.
/// Revocation is one-way: a revoked version refuses every use and can never be enabled again; only the rewrap run by the
/// same revocation may still open it (<see cref="KeyVersionRecord.RevokedBy"/>), to move data off it. Each step is
/// idempotent, so the HTTP request and the orchestration's first step can both run it.
/// </summary>
public sealed partial class KeyRevocationSteps
{
    public const int MaxVersions = 100;
    public const int MaxReasonLength = 512;

    private static readonly TimeSpan PublishPollInterval = TimeSpan.FromMilliseconds(25);

    private readonly IKeyStore _keys;
    private readonly IHsm _hsm;
    private readonly IOutboxStore _outbox;
    private readonly KeyCatalog _catalog;
    private readonly ChangeEvents _events;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyRevocationSteps> _logger;

    public KeyRevocationSteps(IKeyStore keys, IHsm hsm, IOutboxStore outbox, KeyCatalog catalog, ChangeEvents events, TimeProvider time,
        ILogger<KeyRevocationSteps> logger)
    {
        _keys = keys;
        _hsm = hsm;
        _outbox = outbox;
        _catalog = catalog;
        _events = events;
        _time = time;
        _logger = logger;
    }

    /// <summary>Checks a revocation request against the key before anything is changed.</summary>
    public static int[] Validate(KeyRecord key, IReadOnlyCollection<int>? versions, string? reason)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.State == KeyState.Destroyed)
        {
            throw KmsErrors.KeyDestroyed(key.KeyId);
        }

        if (string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength)
        {
            throw KmsErrors.Validation($"'reason' is required: say why the versions are revoked, in at most {MaxReasonLength} characters.");
        }

        if (versions is not { Count: > 0 } || versions.Count > MaxVersions)
        {
            throw KmsErrors.Validation($"'versions' must list 1 to {MaxVersions} version numbers.");
        }

        if (versions.Any(v => v < 1 || v > key.LatestVersion) || versions.Distinct().Count() != versions.Count)
        {
            throw KmsErrors.Validation($"'versions' must list distinct existing versions of the key (1 to {key.LatestVersion}).");
        }

        return [.. versions.Order()];
    }

    /// <summary>
    /// Revokes the versions for <paramref name="operationId"/>, each in one conditional write with its KeyVersionRevoked
    /// event. A version this operation already revoked is left alone; one revoked by an earlier revocation passes to this
    /// one (its rewrap may then open it). Destroyed versions have nothing left to revoke.
    /// </summary>
    public async Task<RevocationResult> RevokeAsync(string keyId, IReadOnlyCollection<int> versions, string reason, string operationId, Actor actor,
        CancellationToken cancellationToken)
    {
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        var numbers = Validate(key, versions, reason);
        var eventIds = new List<string>();
        foreach (var number in numbers)
        {
            await ConflictRetry.RunAsync(async () =>
            {
                var record = await _keys.GetVersionAsync(key.KeyId, number, cancellationToken) ?? throw KmsErrors.KeyVersionNotFound(key.KeyId, number);
                if (record.State == KeyVersionState.Destroyed || (record.State == KeyVersionState.Revoked && record.RevokedBy == operationId))
                {
                    return record;
                }

                var revoked = record with { State = KeyVersionState.Revoked, RevokedBy = operationId, StateChangedAt = _time.GetUtcNow() };
                var events = _events.Revoked(key, revoked, reason, operationId, actor);
                var stored = await _keys.UpdateVersionAsync(revoked, events, cancellationToken);
                eventIds.AddRange(events.Select(e => e.Id));
                return stored;
            });

            // Drop the unwrapped handle at once: the next request for the version finds it revoked and is refused.
            _hsm.Evict(key.KeyId, number);
        }

        _catalog.Invalidate(key.KeyId);
        LogRevoked(key.KeyId, string.Join(",", numbers), operationId);
        return new RevocationResult(numbers, key.PrimaryVersion, [.. eventIds], _time.GetUtcNow());
    }

    /// <summary>
    /// Waits until the events have left the key's outbox (the dispatcher published them) and returns when that was seen,
    /// to within the poll interval; null when they are still there after <paramref name="timeout"/>.
    /// </summary>
    public async Task<DateTimeOffset?> WaitUntilPublishedAsync(string keyId, IReadOnlyCollection<string> eventIds, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var partition = new OutboxPartition(OutboxPartition.KeysStream, KeyIdentifiers.RequireKeyId(keyId));
        var deadline = _time.GetUtcNow() + timeout;
        while (true)
        {
            var pending = await _outbox.ReadAsync(partition, 1000, cancellationToken);
            if (!pending.Any(entry => entry.Events.Any(e => eventIds.Contains(e.Id))))
            {
                return _time.GetUtcNow();
            }

            if (_time.GetUtcNow() >= deadline)
            {
                return null;
            }

            await Task.Delay(PublishPollInterval, _time, cancellationToken);
        }
    }

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Revoked versions {Versions} of key {KeyId} (operation {OperationId})")]
    private partial void LogRevoked(string keyId, string versions, string operationId);
}
