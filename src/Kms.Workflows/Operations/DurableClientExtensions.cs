using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Operations;

/// <summary>Starting an orchestration under an id that must run once, whoever asks and however often.</summary>
internal static class DurableClientExtensions
{
    private static readonly OrchestrationRuntimeStatus[] Ever = Enum.GetValues<OrchestrationRuntimeStatus>();

    // Two starts of one id at once (two copies of an activity: Durable Task delivers at least once) both pass the existence
    // check before either is stored, and the Azure Storage backend then accepts both, dedupe statuses notwithstanding: seen
    // in ActivityRedeliveryTests. Starts of the same id in one process take turns; striped, so memory stays bounded.
    private static readonly SemaphoreSlim[] Stripes = [.. Enumerable.Range(0, 64).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>
    /// Schedules <paramref name="orchestrator"/> as <paramref name="instanceId"/> unless an instance with that id ever existed;
    /// a start lost to a concurrent one is not an error (that one stands), any other failure is rethrown. True when this call started it.
    /// Calls in one process are serialized per id; calls from two processes at the same moment may both be accepted.
    /// </summary>
    public static async Task<bool> ScheduleOnceAsync(this DurableTaskClient client, string orchestrator, object input, string instanceId,
        CancellationToken cancellationToken = default)
    {
        var stripe = Stripes[(int)((uint)StringComparer.Ordinal.GetHashCode(instanceId) % (uint)Stripes.Length)];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            return await ScheduleUnlessExistsAsync(client, orchestrator, input, instanceId, cancellationToken);
        }
        finally
        {
            stripe.Release();
        }
    }

    private static async Task<bool> ScheduleUnlessExistsAsync(DurableTaskClient client, string orchestrator, object input, string instanceId,
        CancellationToken cancellationToken)
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
