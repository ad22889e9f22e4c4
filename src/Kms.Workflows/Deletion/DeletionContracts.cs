using Kms.Core;

namespace Kms.Workflows.Deletion;

/// <summary>What a scheduled deletion carries: the key, the deletion date it was scheduled for, who scheduled it.</summary>
public sealed record DeletionInput(string KeyId, DateTimeOffset DeletionDate, string RequestedBy, string? RequestId, int RequiredApprovals,
    TimeSpan ApprovalTimeout)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public Actor Actor => new(RequestedBy, RequestId);
}

/// <summary>The result of a scheduled deletion: whether the key was destroyed, and if not, why.</summary>
/// <param name="Outcome"><c>destroyed</c>, <c>canceled</c> (the deletion was cancelled or rescheduled) or <c>approvals-expired</c>.</param>
public sealed record DeletionOutput(string KeyId, string Outcome);

/// <summary>Step and checkpoint names of a scheduled deletion, as the status API shows them.</summary>
public static class DeletionSteps
{
    public const string WaitingPeriod = "waiting-period", WaitingPeriodOver = "waiting-period-over";
    public const string AwaitApprovals = "awaiting-approvals", Approved = "approved", ApprovalsExpired = "approvals-expired";
    public const string Destroy = "destroy", Destroyed = "destroyed", Canceled = "canceled";
    public const string Done = "done";
}
