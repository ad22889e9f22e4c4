using Kms.Workflows.Operations;
using Kms.Workflows.Rewrap;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Revocation;

/// <summary>A rewrap campaign a revocation runs, under an id derived from the revocation's.</summary>
public sealed record CampaignStart(string CampaignId, RewrapInput Input);

/// <summary>Where a campaign stands: its state as the status API names it, and its error if it failed.</summary>
public sealed record CampaignState(string State, string? Error)
{
    public bool Ended => State is "COMPLETED" or "FAILED" or "CANCELED";
}

// A revocation runs each rewrap campaign as an operation of its own (visible and steerable in the status API) rather than
// as a sub-orchestration: the local engine's sidecar cannot store a sub-orchestration's start message (its tags do not
// survive the Azure Storage backend's serializer), while a top-level start works on both hosts. The revocation starts
// the campaign through these activities and polls it with durable timers.

/// <summary>Starts the campaign unless it exists (a re-run finds it).</summary>
public sealed class StartRewrapCampaignActivity(DurableTaskClient client) : TaskActivity<CampaignStart, string>
{
    private static readonly OrchestrationRuntimeStatus[] Ever = Enum.GetValues<OrchestrationRuntimeStatus>();

    public override Task<string> RunAsync(TaskActivityContext context, CampaignStart input) => Execute(client, input);

    public static async Task<string> Execute(DurableTaskClient client, CampaignStart input)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        if (await client.GetInstanceAsync(input.CampaignId, getInputsAndOutputs: false) is null)
        {
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(RewrapOrchestrator), new RewrapRun(input.Input),
                    new StartOrchestrationOptions { InstanceId = input.CampaignId }.WithDedupeStatuses(Ever));
            }
            catch (Exception)
            {
                // Started meanwhile by a previous delivery of this activity (that one stands); anything else fails the step.
                if (await client.GetInstanceAsync(input.CampaignId, getInputsAndOutputs: false) is null)
                {
                    throw;
                }
            }
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
