using Kms.Core;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Kms.Workflows.Operations;

/// <summary>
/// The periodic scan of every key (a timer trigger in Functions, a background service locally) that starts the work a
/// key's own state calls for:
/// <list type="bullet">
/// <item>the staged rotation of every enabled key whose <see cref="KeyRecord.NextRotationAt"/> has passed. The instance id
/// is derived from the key and its due time, and scheduling refuses an id that ever existed, so however many scans or
/// instances see a due key, its rotation runs once. A rotation that failed (and rolled back) is not retried: its due time
/// has not moved, and the operator decides.</item>
/// <item>the deletion operation of every key pending deletion, in case the request that scheduled it could not start it
/// (its id is derived from the deletion date, so this too happens once).</item>
/// </list>
/// </summary>
public sealed partial class KeyScheduler
{
    /// <summary>The principal named in the events and operations of scheduled rotations.</summary>
    public const string Principal = "kms-rotation-scheduler";

    private static readonly OrchestrationRuntimeStatus[] Ever = Enum.GetValues<OrchestrationRuntimeStatus>();
    private readonly IKeyStore _keys;
    private readonly OperationsService _operations;
    private readonly TimeProvider _time;
    private readonly ILogger<KeyScheduler> _logger;
    private readonly KmsMetrics? _metrics;

    public KeyScheduler(IKeyStore keys, OperationsService operations, TimeProvider time, ILogger<KeyScheduler> logger, KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _keys = keys;
        _operations = operations;
        _time = time;
        _logger = logger;
    }

    /// <summary>The operation id of the rotation due at <paramref name="due"/>.</summary>
    public static string OperationId(string keyId, DateTimeOffset due) =>
        $"{OperationTypes.Rotation}-{keyId}-due{due.UtcDateTime:yyyyMMddTHHmmss}";

    /// <summary>Pages through every key once; returns how many rotations it started.</summary>
    public async Task<int> ScanAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = _time.GetUtcNow();
        var started = 0;
        string? token = null;
        do
        {
            var page = await _keys.ListKeysAsync(1000, token, cancellationToken);
            foreach (var key in page.Items)
            {
                if (key.State == KeyState.Enabled && key.NextRotationAt is { } due && due <= now)
                {
                    started += await StartRotationAsync(client, key, due, cancellationToken) ? 1 : 0;
                }
                else if (key.State == KeyState.PendingDeletion)
                {
                    await _operations.EnsureDeletionAsync(client, key, cancellationToken);
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return started;
    }

    private async Task<bool> StartRotationAsync(DurableTaskClient client, KeyRecord key, DateTimeOffset due, CancellationToken cancellationToken)
    {
        var id = OperationId(key.KeyId, due);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(RotationOrchestrator), new RotationInput(key.KeyId, Principal, null),
                new StartOrchestrationOptions { InstanceId = id }.WithDedupeStatuses(Ever), cancellationToken);
            LogStarted(key.KeyId, id);
            _metrics?.OperationStarted(OperationTypes.Rotation);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Most often: this due rotation was already started (by an earlier scan or another instance).
            LogNotStarted(key.KeyId, id, e.GetType().Name);
            return false;
        }
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Started scheduled rotation {OperationId} of key {KeyId}")]
    private partial void LogStarted(string keyId, string operationId);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Scheduled rotation {OperationId} of key {KeyId} not started ({Reason}); it exists already")]
    private partial void LogNotStarted(string keyId, string operationId, string reason);
}
