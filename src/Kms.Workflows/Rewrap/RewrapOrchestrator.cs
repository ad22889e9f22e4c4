using System.Runtime.CompilerServices;
using Kms.Workflows.Operations;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;

namespace Kms.Workflows.Rewrap;

/// <summary>
/// A rewrap campaign: count the items (for progress, beside the first rewrap activity), rewrap a few pages per
/// activity (<see cref="RewrapPaging"/>) with a checkpointed continuation, then a verification sweep. Items that changed
/// under the campaign or failed get another pass (up to <see cref="MaxPasses"/>); only a clean verification may disable
/// the old versions. Pause, resume and cancel act between activities. History stays short: the state moves on with
/// ContinueAsNew every <see cref="PagesPerRun"/> activities.
/// </summary>
public sealed class RewrapOrchestrator : TaskOrchestrator<RewrapRun, RewrapProgress>
{
    public const int MaxPasses = 3;
    public const int PagesPerRun = 20;

    public const string Counting = "count", Rewrapping = "rewrap", Verifying = "verify", Disabling = "disable-old-versions", Done = "done";

    public override Task<RewrapProgress> RunAsync(TaskOrchestrationContext context, RewrapRun run)
    {
        var continued = new StrongBox<bool>();
        return OperationEnd.TrackAsync(context, OperationTypes.Rewrap, () => RunCoreAsync(context, run, continued), continuedAsNew: _ => continued.Value);
    }

    /// <param name="continued">Set when this run hands over to its next generation (ContinueAsNew) instead of ending.</param>
    private static async Task<RewrapProgress> RunCoreAsync(TaskOrchestrationContext context, RewrapRun run, StrongBox<bool> continued)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(run);
        var input = run.Input;
        // The first run starts counting; later runs carry on from the state ContinueAsNew handed them.
        var state = run.State ?? new RewrapState(Counting, 1, null, 0, 0, 0, 0, null, 0, context.CurrentUtcDateTime);
        var checkpoints = run.Checkpoints?.ToList() ?? [];
        Report(context, state, checkpoints, null);

        // The count only feeds progress: it runs beside the first rewrap activity instead of before it.
        Task<long?>? counting = null;
        if (state.Phase == Counting)
        {
            counting = context.CallActivityAsync<long?>(nameof(CountRewrapItemsActivity), input, RotationOrchestrator.StepRetry);
            state = state with { Phase = Rewrapping };
        }

        for (var pages = 0; pages < PagesPerRun; pages++)
        {
            if (state.Phase == Rewrapping)
            {
                var rewrapping = context.CallActivityAsync<RewrapPageResult>(nameof(RewrapPageActivity), new RewrapPageRequest(input, state.Continuation),
                    RotationOrchestrator.StepRetry);
                if (counting is not null)
                {
                    await Task.WhenAll(counting, rewrapping);
                    state = state with { Total = await counting };
                    checkpoints = [.. checkpoints, "counted"];
                    counting = null;
                }

                var page = await rewrapping;
                state = state with
                {
                    Done = state.Done + page.Done, Skipped = state.Skipped + page.Skipped, Failed = state.Failed + page.Failed,
                    Conflicts = state.Conflicts + page.Conflicts, Continuation = page.Next,
                };
                if (page.Next is null)
                {
                    state = state with { Phase = Verifying, Remaining = 0 };
                    checkpoints = [.. checkpoints, $"pass-{state.Pass}-done"];
                }
            }
            else if (state.Phase == Verifying)
            {
                var page = await context.CallActivityAsync<VerifyPageResult>(nameof(VerifyRewrapPageActivity), new RewrapPageRequest(input, state.Continuation),
                    RotationOrchestrator.StepRetry);
                state = state with { Remaining = state.Remaining + page.Remaining, Continuation = page.Next };
                if (page.Next is null)
                {
                    if (state.Remaining == 0)
                    {
                        checkpoints = [.. checkpoints, "verified"];
                        return await FinishAsync(context, input, state, checkpoints);
                    }

                    if (state.Pass >= MaxPasses)
                    {
                        var error = $"{state.Remaining} items are still on the old versions after {state.Pass} passes " +
                            $"({state.Failed} failed to decrypt, {state.Conflicts} kept changing); the old versions were left as they are.";
                        Report(context, state, checkpoints, error);
                        throw new RewrapIncompleteException(error);
                    }

                    // Another pass over the source for what changed concurrently or failed.
                    state = state with { Phase = Rewrapping, Pass = state.Pass + 1, Continuation = null };
                }
            }

            Report(context, state, checkpoints, null);
        }

        continued.Value = true;
        context.ContinueAsNew(new RewrapRun(input, state, checkpoints));
        return Progress(context, state);
    }

    private static async Task<RewrapProgress> FinishAsync(TaskOrchestrationContext context, RewrapInput input, RewrapState state, List<string> checkpoints)
    {
        if (input.DisableOldVersions)
        {
            Report(context, state with { Phase = Disabling }, checkpoints, null);
            await context.CallActivityAsync<int[]>(nameof(DisableOldVersionsActivity), input, RotationOrchestrator.StepRetry);
            checkpoints = [.. checkpoints, "old-versions-disabled"];
        }

        Report(context, state with { Phase = Done }, checkpoints, null);
        return Progress(context, state);
    }

    private static void Report(TaskOrchestrationContext context, RewrapState state, List<string> checkpoints, string? error) =>
        context.SetCustomStatus(new OperationProgress(state.Phase, checkpoints, null, error, Progress(context, state)));

    private static RewrapProgress Progress(TaskOrchestrationContext context, RewrapState state)
    {
        var processed = state.Done + state.Skipped + state.Failed;
        var seconds = Math.Max(0.001, (context.CurrentUtcDateTime - state.StartedAt).TotalSeconds);
        var rate = processed / seconds;
        double? eta = state.Total is { } total && rate > 0 && state.Pass == 1 && state.Phase == Rewrapping ? Math.Max(0, (total - processed) / rate) : null;
        return new RewrapProgress(state.Done, state.Skipped, state.Failed, state.Total, Math.Round(rate, 1), eta is null ? null : Math.Round(eta.Value, 1),
            state.Pass);
    }
}

/// <summary>The input of every run: the campaign, and (after the first run) its state and the checkpoints passed so far.</summary>
public sealed record RewrapRun(RewrapInput Input, RewrapState? State = null, IReadOnlyList<string>? Checkpoints = null);

/// <summary>Ends a campaign whose verification still finds items on the old versions.</summary>
public sealed class RewrapIncompleteException(string message) : Exception(message);
