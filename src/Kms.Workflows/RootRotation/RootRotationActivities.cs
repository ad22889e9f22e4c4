using Kms.Core.Services;
using Microsoft.DurableTask;

namespace Kms.Workflows.RootRotation;

// Thin activities over RootKeyRotationSteps, each idempotent there. Execute is what the Functions app's triggers call.

/// <summary>Creates the next generation's root key in the HSM (or finds the one a re-run or an earlier attempt made).</summary>
public sealed class CreateNextRootActivity(RootKeyRotationSteps steps) : TaskActivity<RootRotationInput, RootRotationRoots>
{
    public override Task<RootRotationRoots> RunAsync(TaskActivityContext context, RootRotationInput input) => Execute(steps, input);

    public static Task<RootRotationRoots> Execute(RootKeyRotationSteps steps, RootRotationInput input) => Task.FromResult(steps.CreateNextRoot());
}

/// <summary>Rewraps (and in the final sweep verifies) one page of stored blobs.</summary>
public sealed class SweepRootPageActivity(RootKeyRotationSteps steps) : TaskActivity<RootSweepRequest, RootSweepPage>
{
    public override Task<RootSweepPage> RunAsync(TaskActivityContext context, RootSweepRequest input) => Execute(steps, input);

    public static Task<RootSweepPage> Execute(RootKeyRotationSteps steps, RootSweepRequest input) =>
        steps.SweepPageAsync(input.NewRoot, input.Continuation, input.Verify, CancellationToken.None);
}

/// <summary>Makes the new root the one that wraps new keys.</summary>
public sealed class SwitchRootActivity(RootKeyRotationSteps steps) : TaskActivity<string, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, string input) => Execute(steps, input);

    public static Task<bool> Execute(RootKeyRotationSteps steps, string newRoot)
    {
        steps.SwitchRoot(newRoot);
        return Task.FromResult(true);
    }
}

/// <summary>Destroys the other roots of the family in the HSM, after a clean verification; returns their labels.</summary>
public sealed class RetireOldRootsActivity(RootKeyRotationSteps steps) : TaskActivity<string, string[]>
{
    public override Task<string[]> RunAsync(TaskActivityContext context, string input) => Execute(steps, input);

    public static Task<string[]> Execute(RootKeyRotationSteps steps, string newRoot) => Task.FromResult(steps.RetireOtherRoots(newRoot));
}
