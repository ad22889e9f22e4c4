using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Operations;

/// <summary>Starting an orchestration under an id that must run once, whoever asks and however often.</summary>
internal static class DurableClientExtensions
{
    private static readonly OrchestrationRuntimeStatus[] Ever = Enum.GetValues<OrchestrationRuntimeStatus>();

    /// <summary>
    /// Schedules <paramref name="orchestrator"/> as <paramref name="instanceId"/> unless an instance with that id ever existed;
    /// a start lost to a concurrent one is not an error (that one stands), any other failure is rethrown. True when this call started it.
    /// </summary>
    public static async Task<bool> ScheduleOnceAsync(this DurableTaskClient client, string orchestrator, object input, string instanceId,
        CancellationToken cancellationToken = default)
    {
        if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is not null)
        {
            return false;
        }

        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input,
                new StartOrchestrationOptions { InstanceId = instanceId }.WithDedupeStatuses(Ever), cancellationToken);
            return true;
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken) is null)
            {
                throw;
            }

            return false;
        }
    }
}
