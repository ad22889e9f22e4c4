using Kms.Core.Services;
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
public sealed class KmsWorkflowFunctions(KeyRotationSteps steps, RewrapSteps rewrap, RotationScheduler scheduler, RootKeyRotationSteps roots)
{
    /// <summary>Starts the staged rotations that are due, every minute (each runs once: see <see cref="RotationScheduler"/>).</summary>
    [Function("StartDueRotations")]
    public Task StartDueRotations([TimerTrigger("0 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client,
        FunctionContext context) =>
        scheduler.StartDueRotationsAsync(client, context.CancellationToken);

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
