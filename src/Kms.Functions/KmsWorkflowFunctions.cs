using Kms.Core.Services;
using Kms.Core.Telemetry;
using Kms.Workflows.Deletion;
using Kms.Workflows.Operations;
using Kms.Workflows.Revocation;
using Kms.Workflows.Rewrap;
using Kms.Workflows.RootRotation;
using Kms.Workflows.Rotation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Kms.Functions;

/// <summary>
/// The orchestrations and activities of Kms.Workflows as Durable Functions: each trigger runs the same class the local
/// engine registers (<see cref="Kms.Workflows.KmsWorkflows"/>); function names equal the class names, and a test
/// proves functions.metadata declares every one.
/// </summary>
public sealed class KmsWorkflowFunctions(KeyRotationSteps steps, RewrapSteps rewrap, KeyRevocationSteps revocation, KeyDestructionSteps destruction,
    KeyScheduler scheduler, RootKeyRotationSteps roots, KmsMetrics metrics)
{
    /// <summary>Scans the keys every minute: starts due rotations and missing deletion operations (each once: see <see cref="KeyScheduler"/>).</summary>
    [Function("ScanKeys")]
    public Task ScanKeys([TimerTrigger("0 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client,
        FunctionContext context) =>
        scheduler.ScanAsync(client, context.CancellationToken);

    [Function(nameof(RotationOrchestrator))]
    public static Task<RotationOutput> Rotation([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RotationOrchestrator().RunAsync(context, context.GetInput<RotationInput>()
            ?? throw new InvalidOperationException("The rotation has no input."));

    [Function(nameof(CreateStandbyVersionActivity))]
    public Task<StandbyVersion> CreateStandbyVersion([ActivityTrigger] RotationStep input) => CreateStandbyVersionActivity.Execute(steps, input);

    [Function(nameof(ProbeVersionActivity))]
    public Task<ProbeResult> ProbeVersion([ActivityTrigger] RotationStep input) => ProbeVersionActivity.Execute(steps, input);

    [Function(nameof(PromoteVersionActivity))]
    public Task<bool> PromoteVersion([ActivityTrigger] RotationStep input) => PromoteVersionActivity.Execute(steps, input);

    [Function(nameof(RollBackRotationActivity))]
    public Task<bool> RollBackRotation([ActivityTrigger] RotationStep input) => RollBackRotationActivity.Execute(steps, input);

    [Function(nameof(RewrapOrchestrator))]
    public static Task<RewrapProgress> Rewrap([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RewrapOrchestrator().RunAsync(context, context.GetInput<RewrapRun>() ?? throw new InvalidOperationException("The rewrap has no input."));

    [Function(nameof(CountRewrapItemsActivity))]
    public Task<long?> CountRewrapItems([ActivityTrigger] RewrapInput input) => CountRewrapItemsActivity.Execute(rewrap, input);

    [Function(nameof(RewrapPageActivity))]
    public Task<RewrapPageResult> RewrapPage([ActivityTrigger] RewrapPageRequest input) => RewrapPageActivity.Execute(rewrap, input);

    [Function(nameof(VerifyRewrapPageActivity))]
    public Task<VerifyPageResult> VerifyRewrapPage([ActivityTrigger] RewrapPageRequest input) => VerifyRewrapPageActivity.Execute(rewrap, input);

    [Function(nameof(DisableOldVersionsActivity))]
    public Task<int[]> DisableOldVersions([ActivityTrigger] RewrapInput input) => DisableOldVersionsActivity.Execute(steps, input);

    [Function(nameof(RevocationOrchestrator))]
    public static Task<RevocationOutput> Revocation([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RevocationOrchestrator().RunAsync(context, context.GetInput<RevocationInput>()
            ?? throw new InvalidOperationException("The revocation has no input."));

    [Function(nameof(RevokeVersionsActivity))]
    public Task<RevocationResult> RevokeVersions([ActivityTrigger] RevocationStep input) => RevokeVersionsActivity.Execute(revocation, input);

    [Function(nameof(AwaitRevocationPublishedActivity))]
    public Task<DateTimeOffset?> AwaitRevocationPublished([ActivityTrigger] PublishWait input) => AwaitRevocationPublishedActivity.Execute(revocation, input);

    [Function(nameof(DestroyRevokedVersionsActivity))]
    public Task<int[]> DestroyRevokedVersions([ActivityTrigger] RevocationStep input) => DestroyRevokedVersionsActivity.Execute(destruction, input);

    [Function(nameof(RecordOperationEndedActivity))]
    public Task<bool> RecordOperationEnded([ActivityTrigger] OperationEnded input) => RecordOperationEndedActivity.Execute(metrics, input);

    [Function(nameof(StartRewrapCampaignActivity))]
    public Task<string> StartRewrapCampaign([ActivityTrigger] CampaignStart input, [DurableClient] DurableTaskClient client) =>
        StartRewrapCampaignActivity.Execute(client, input, metrics);

    [Function(nameof(GetCampaignStateActivity))]
    public static Task<CampaignState> GetCampaignState([ActivityTrigger] string input, [DurableClient] DurableTaskClient client) =>
        GetCampaignStateActivity.Execute(client, input);

    [Function(nameof(DeletionOrchestrator))]
    public static Task<DeletionOutput> Deletion([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new DeletionOrchestrator().RunAsync(context, context.GetInput<DeletionInput>()
            ?? throw new InvalidOperationException("The deletion has no input."));

    [Function(nameof(CheckDeletionPendingActivity))]
    public Task<bool> CheckDeletionPending([ActivityTrigger] DeletionInput input) => CheckDeletionPendingActivity.Execute(destruction, input);

    [Function(nameof(DestroyKeyActivity))]
    public Task<bool> DestroyKey([ActivityTrigger] DeletionInput input) => DestroyKeyActivity.Execute(destruction, input);

    [Function(nameof(RootRotationOrchestrator))]
    public static Task<RootRotationOutput?> RootRotation([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RootRotationOrchestrator().RunAsync(context, context.GetInput<RootRotationRun>()
            ?? throw new InvalidOperationException("The root-key rotation has no input."));

    [Function(nameof(CreateNextRootActivity))]
    public Task<RootRotationRoots> CreateNextRoot([ActivityTrigger] RootRotationInput input) => CreateNextRootActivity.Execute(roots, input);

    [Function(nameof(SweepRootPageActivity))]
    public Task<RootSweepPage> SweepRootPage([ActivityTrigger] RootSweepRequest input) => SweepRootPageActivity.Execute(roots, input);

    [Function(nameof(SwitchRootActivity))]
    public Task<bool> SwitchRoot([ActivityTrigger] string input) => SwitchRootActivity.Execute(roots, input);

    [Function(nameof(RetireOldRootsActivity))]
    public Task<string[]> RetireOldRoots([ActivityTrigger] string input) => RetireOldRootsActivity.Execute(roots, input);
}
