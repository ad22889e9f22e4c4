using Kms.Workflows.Approvals;
using Kms.Workflows.Operations;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;

namespace Kms.Workflows.Deletion;

/// <summary>
/// A scheduled deletion: a durable timer for the waiting period (approvals given meanwhile are counted) -> the key must
/// still be pending deletion for the same date -> M-of-N approvals, waited for up to the approval timeout -> the key is
/// destroyed (KeyDestroyed). Cancelling the deletion (<c>POST /api/keys/{keyId}/cancel-deletion</c>) terminates the
/// operation; even if that is missed, the destroy step refuses a key that is no longer pending deletion for this date.
/// </summary>
public sealed class DeletionOrchestrator : TaskOrchestrator<DeletionInput, DeletionOutput>
{
    public override Task<DeletionOutput> RunAsync(TaskOrchestrationContext context, DeletionInput input) =>
        OperationEnd.TrackAsync(context, OperationTypes.Deletion, () => RunCoreAsync(context, input));

    private static async Task<DeletionOutput> RunCoreAsync(TaskOrchestrationContext context, DeletionInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var gate = new ApprovalGate(input.RequiredApprovals, input.RequestedBy);
        var progress = new OperationProgress(DeletionSteps.WaitingPeriod, []);
        void Report(OperationProgress p) => context.SetCustomStatus(progress = p with { Approvals = gate.Progress });
        Report(progress);

        await gate.CollectUntilAsync(context, input.DeletionDate.UtcDateTime, () => Report(progress));
        Report(progress.Passed(DeletionSteps.WaitingPeriodOver));
        if (!await context.CallActivityAsync<bool>(nameof(CheckDeletionPendingActivity), input, RotationOrchestrator.StepRetry))
        {
            return End(context, progress, input, DeletionSteps.Canceled);
        }

        Report(progress.Next(DeletionSteps.AwaitApprovals));
        if (!await gate.WaitAsync(context, context.CurrentUtcDateTime + input.ApprovalTimeout, () => Report(progress)))
        {
            return End(context, progress, input, DeletionSteps.ApprovalsExpired);
        }

        Report(progress.Passed(DeletionSteps.Approved).Next(DeletionSteps.Destroy));
        var destroyed = await context.CallActivityAsync<bool>(nameof(DestroyKeyActivity), input, RotationOrchestrator.StepRetry);
        return End(context, progress, input, destroyed ? DeletionSteps.Destroyed : DeletionSteps.Canceled);
    }

    private static DeletionOutput End(TaskOrchestrationContext context, OperationProgress progress, DeletionInput input, string outcome)
    {
        context.SetCustomStatus(progress.Passed(outcome).Next(DeletionSteps.Done));
        return new DeletionOutput(input.KeyId, outcome);
    }
}
