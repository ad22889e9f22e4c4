using Kms.Core;
using Kms.Core.Ports;
using Kms.Workflows.Operations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Kms.Workflows.Rotation;

/// <summary>
/// Starts the staged rotations that are due: every enabled key whose <see cref="KeyRecord.NextRotationAt"/> has passed.
/// The instance id is derived from the key and its due time, and scheduling refuses an id that ever existed, so
/// however many scans or instances see a due key, its rotation runs once. A rotation that failed (and rolled back)
/// is not retried by the scheduler: its due time has not moved, and the operator decides.
/// </summary>
public sealed partial class RotationScheduler
{
    /// <summary>The principal named in the events and operations of scheduled rotations.</summary>
    public const string Principal = "kms-rotation-scheduler";

    private static readonly OrchestrationRuntimeStatus[] Ever = Enum.GetValues<OrchestrationRuntimeStatus>();
    private readonly IKeyStore _keys;
    private readonly TimeProvider _time;
    private readonly ILogger<RotationScheduler> _logger;

    public RotationScheduler(IKeyStore keys, TimeProvider time, ILogger<RotationScheduler> logger)
    {
        _keys = keys;
        _time = time;
        _logger = logger;
    }

    /// <summary>The operation id of the rotation due at <paramref name="due"/>.</summary>
    public static string OperationId(string keyId, DateTimeOffset due) =>
        $"{OperationTypes.Rotation}-{keyId}-due{due.UtcDateTime:yyyyMMddTHHmmss}";

    /// <summary>Pages through every key once; returns how many rotations it started.</summary>
    public async Task<int> StartDueRotationsAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = _time.GetUtcNow();
        var started = 0;
        string? token = null;
        do
        {
            var page = await _keys.ListKeysAsync(1000, token, cancellationToken);
            foreach (var key in page.Items.Where(k => k.State == KeyState.Enabled && k.NextRotationAt is { } due && due <= now))
            {
                var id = OperationId(key.KeyId, key.NextRotationAt!.Value);
                try
                {
                    await client.ScheduleNewOrchestrationInstanceAsync(nameof(RotationOrchestrator), new RotationInput(key.KeyId, Principal, null),
                        new StartOrchestrationOptions { InstanceId = id }.WithDedupeStatuses(Ever), cancellationToken);
                    started++;
                    LogStarted(key.KeyId, id);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Most often: this due rotation was already started (by an earlier scan or another instance).
                    LogNotStarted(key.KeyId, id, e.GetType().Name);
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return started;
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Started scheduled rotation {OperationId} of key {KeyId}")]
    private partial void LogStarted(string keyId, string operationId);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "Scheduled rotation {OperationId} of key {KeyId} not started ({Reason}); it exists already")]
    private partial void LogNotStarted(string keyId, string operationId, string reason);
}
