using Kms.Core.Telemetry;
using Kms.Workflows.Operations;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Rewrap;

/// <summary>A rewrap campaign another operation (a revocation, a rotation) starts, under an id derived from that operation's.</summary>
public sealed record CampaignStart(string CampaignId, RewrapInput Input)
{
    /// <summary>
    /// The id of the <paramref name="index"/>th campaign started by operation <paramref name="parentId"/> (of
    /// <paramref name="parentType"/>): a rewrap id of the same key whose tail is the parent's time and random part.
    /// </summary>
    public static string ChildId(string parentId, string parentType, string keyId, int index)
    {
        ArgumentNullException.ThrowIfNull(parentId);
        ArgumentNullException.ThrowIfNull(parentType);
        return $"{OperationTypes.Rewrap}-{keyId}-{parentId[Math.Min(parentId.Length, parentType.Length + 38)..]}s{index}";
    }
}

/// <summary>Where a campaign stands: its state as the status API names it, and its error if it failed.</summary>
public sealed record CampaignState(string State, string? Error)
{
    public bool Ended => State is "COMPLETED" or "FAILED" or "CANCELED";
}

// Revocations and rotations run each rewrap campaign as an operation of its own (visible and steerable in the status API)
// rather than as a sub-orchestration: the local engine's sidecar cannot store a sub-orchestration's start message (its
// tags do not survive the Azure Storage backend's serializer), while a top-level start works on both hosts. The parent
// starts the campaign through these activities; a revocation then polls it with durable timers.

/// <summary>Starts the campaign unless it exists (a re-run finds it).</summary>
public sealed class StartRewrapCampaignActivity(DurableTaskClient client, KmsMetrics metrics) : TaskActivity<CampaignStart, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, CampaignStart input) => Execute(client, input, metrics);

    public static async Task<string> Execute(DurableTaskClient client, CampaignStart input, KmsMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        // Counted here, in the activity, and only by the call that scheduled it: a re-run finds it and counts nothing.
        if (await client.ScheduleOnceAsync(nameof(RewrapOrchestrator), new RewrapRun(input.Input), input.CampaignId))
        {
            metrics?.OperationStarted(OperationTypes.Rewrap);
        }

        return input.CampaignId;
    }
}

/// <summary>Reads a campaign's state.</summary>
public sealed class GetCampaignStateActivity(DurableTaskClient client) : TaskActivity<string, CampaignState>
{
    public override Task<CampaignState> RunAsync(TaskActivityContext context, string input) => Execute(client, input);

    public static async Task<CampaignState> Execute(DurableTaskClient client, string campaignId)
    {
        ArgumentNullException.ThrowIfNull(client);
        var metadata = await client.GetInstanceAsync(campaignId, getInputsAndOutputs: false)
            ?? throw new InvalidOperationException($"Campaign {campaignId} does not exist.");
        return new CampaignState(OperationsService.StateName(metadata.RuntimeStatus), metadata.FailureDetails?.ErrorMessage);
    }
}
