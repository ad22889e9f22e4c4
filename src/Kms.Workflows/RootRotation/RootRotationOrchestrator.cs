using Kms.Core.Services;
using Kms.Workflows.Operations;
using Kms.Workflows.Rewrap;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;

namespace Kms.Workflows.RootRotation;

/// <summary>
/// A root-key rotation: create the next root in the HSM, rewrap every stored blob to it page by page, switch the current
/// root, wait out the grace period, then a final sweep that rewraps what was created under the old root meanwhile and
/// proves every blob unwraps under the new one; only then are the old roots destroyed. A blob that fails the final sweep
/// ends the operation FAILED with the old root kept. Pause, resume and cancel act between pages; history stays short
/// (ContinueAsNew every <see cref="RewrapOrchestrator.PagesPerRun"/> pages).
/// </summary>
public sealed class RootRotationOrchestrator : TaskOrchestrator<RootRotationRun, RootRotationOutput?>
{
    public const string CreateRoot = "create-root", Rewrapping = "rewrap", Switching = "switch", Waiting = "grace-period", Verifying = "final-sweep",
        Retiring = "retire-old-root", Done = "done";

    // A run that handed over to its next generation (ContinueAsNew) returns null: the operation has not ended.
    public override Task<RootRotationOutput?> RunAsync(TaskOrchestrationContext context, RootRotationRun run) =>
        OperationEnd.TrackAsync(context, OperationTypes.RootRotation, () => RunCoreAsync(context, run), continuedAsNew: output => output is null);

    private static async Task<RootRotationOutput?> RunCoreAsync(TaskOrchestrationContext context, RootRotationRun run)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var input = run.Input;
        var state = run.State ?? new RootRotationState(CreateRoot, null, null, 1, 0, 0, 0, context.CurrentUtcDateTime);
        var checkpoints = run.Checkpoints?.ToList() ?? [];
        Report(context, state, checkpoints, null);

        if (state.Phase == CreateRoot)
        {
            var created = await context.CallActivityAsync<RootRotationRoots>(nameof(CreateNextRootActivity), input, RotationOrchestrator.StepRetry);
            state = state with { Phase = Rewrapping, Roots = created };
            checkpoints = [.. checkpoints, "root-created"];
            Report(context, state, checkpoints, null);
        }

        var roots = state.Roots ?? throw new InvalidOperationException("The rotation has no roots after its first step.");
        var newRoot = roots.NewRootKeyLabel;
        for (var pages = 0; pages < RewrapOrchestrator.PagesPerRun && state.Phase is Rewrapping or Verifying; pages++)
        {
            var page = await context.CallActivityAsync<RootSweepPage>(nameof(SweepRootPageActivity),
                new RootSweepRequest(newRoot, state.Continuation, state.Phase == Verifying), RotationOrchestrator.StepRetry);
            state = state with
            {
                Rewrapped = state.Rewrapped + page.Rewrapped, Skipped = state.Skipped + page.Skipped, Failed = state.Failed + page.Failed,
                Continuation = page.Next,
            };
            if (page.Next is null)
            {
                state = state.Phase == Rewrapping ? state with { Phase = Switching } : state with { Phase = Retiring };
                checkpoints = [.. checkpoints, state.Phase == Switching ? "rewrapped" : "verified"];
            }

            Report(context, state, checkpoints, null);
        }

        if (state.Phase is Rewrapping or Verifying)
        {
            context.ContinueAsNew(new RootRotationRun(input, state, checkpoints));
            return null;
        }

        if (state.Phase == Switching)
        {
            await context.CallActivityAsync<bool>(nameof(SwitchRootActivity), newRoot, RotationOrchestrator.StepRetry);
            checkpoints = [.. checkpoints, "switched"];
            // Keys generated under the old root just before the switch are still being stored: let them land first.
            state = state with { Phase = Waiting };
            Report(context, state, checkpoints, null);
            await context.CreateTimer(TimeSpan.FromSeconds(input.GraceSeconds), CancellationToken.None);
            state = state with { Phase = Verifying, Pass = 2, Failed = 0 };
            context.ContinueAsNew(new RootRotationRun(input, state, checkpoints));
            return null;
        }

        if (state.Failed > 0)
        {
            var error = $"{state.Failed} stored key blobs do not unwrap under the new root key '{newRoot}'; " +
                $"the old root key '{roots.OldRootKeyLabel}' was kept. See the KMS log for which.";
            Report(context, state, checkpoints, error);
            throw new RootRotationIncompleteException(error);
        }

        var retired = await context.CallActivityAsync<string[]>(nameof(RetireOldRootsActivity), newRoot, RotationOrchestrator.StepRetry);
        checkpoints = [.. checkpoints, "old-root-retired"];
        Report(context, state with { Phase = Done }, checkpoints, null);
        return new RootRotationOutput(newRoot, retired, state.Rewrapped);
    }

    private static void Report(TaskOrchestrationContext context, RootRotationState state, List<string> checkpoints, string? error)
    {
        var seconds = Math.Max(0.001, (context.CurrentUtcDateTime - state.StartedAt).TotalSeconds);
        var processed = state.Rewrapped + state.Skipped + state.Failed;
        context.SetCustomStatus(new OperationProgress(state.Phase, checkpoints, null, error,
            new RewrapProgress(state.Rewrapped, state.Skipped, state.Failed, null, Math.Round(processed / seconds, 1), null, state.Pass)));
    }
}
