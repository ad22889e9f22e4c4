using Kms.Core;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Kms.Workflows.Operations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Kms.Workflows.RootRotation;

/// <summary>
/// Starts root-key rotations. Their operation ids are <c>rootrotation-{time}-{random}</c> (no key), and the status API
/// (<see cref="OperationsService"/>) reads and steers them like every other operation. One runs at a time.
/// </summary>
public sealed class RootRotationService
{
    private const string Prefix = OperationTypes.RootRotation + "-";
    private readonly IAccessGuard _access;
    private readonly TimeProvider _time;
    private readonly KmsOptions _options;
    private readonly KmsMetrics? _metrics;

    public RootRotationService(IAccessGuard access, TimeProvider time, IOptions<KmsOptions> options, KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _access = access;
        _time = time;
        _options = options.Value;
    }

    /// <summary>Starts a root-key rotation; 409 OperationConflict while another one is pending, running or paused.</summary>
    public async Task<OperationView> StartAsync(DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await _access.DemandAsync(KmsActions.RotateRootKey, null, null, cancellationToken);
        var now = _time.GetUtcNow();
        var id = $"{Prefix}{now:yyyyMMddTHHmmssfff}-{Guid.NewGuid().ToString("N")[..8]}";
        var input = new RootRotationRun(new RootRotationInput(_access.Principal, _access.RequestId, _options.RootRotationGracePeriod.TotalSeconds));
        try
        {
            var running = client.GetAllInstancesAsync(new OrchestrationQuery
            {
                InstanceIdPrefix = Prefix,
                Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
                PageSize = 1,
            });
            await foreach (var other in running.WithCancellation(cancellationToken))
            {
                throw KmsErrors.OperationConflict($"Root-key rotation '{other.InstanceId}' is still in progress.");
            }

            await client.ScheduleNewOrchestrationInstanceAsync(nameof(RootRotationOrchestrator), input, new StartOrchestrationOptions { InstanceId = id },
                cancellationToken);
            _metrics?.OperationStarted(OperationTypes.RootRotation);
        }
        catch (Exception e) when (e is not KmsException and not OperationCanceledException)
        {
            throw KmsErrors.WorkflowsUnavailable(e);
        }

        return new OperationView(id, OperationTypes.RootRotation, null, "PENDING", RootRotationOrchestrator.CreateRoot, [], null, null, now, now);
    }
}
