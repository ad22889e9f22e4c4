using Kms.Workflows.Approvals;

namespace Kms.Workflows.Operations;

/// <summary>
/// An operation's custom status: the step it is on, the checkpoints it has passed and the last error. Written by the
/// orchestrator at each step; it is in the orchestration history, so it never holds key material or data.
/// </summary>
/// <param name="Progress">Item counts of a rewrap campaign; null for other operations.</param>
/// <param name="Approvals">The approvals a destruction needs and those received; null for operations that need none.</param>
/// <param name="TimeToRevoke">How fast a revocation took effect and was announced; null for other operations.</param>
/// <param name="Related">Operations this one started (a revocation's rewrap campaigns).</param>
public sealed record OperationProgress(string Step, IReadOnlyList<string> Checkpoints, int? Version = null, string? Error = null,
    Rewrap.RewrapProgress? Progress = null, ApprovalProgress? Approvals = null, TimeToRevoke? TimeToRevoke = null,
    IReadOnlyList<string>? Related = null)
{
    public OperationProgress Next(string step) => this with { Step = step };

    public OperationProgress Passed(string checkpoint) => this with { Checkpoints = [.. Checkpoints, checkpoint] };
}

/// <summary>Time to revoke, measured from the revocation request as the KMS received it.</summary>
/// <param name="RevokedMs">Until every named version was stored revoked (and refused from then on).</param>
/// <param name="PublishedMs">Until the KeyVersionRevoked events had left the outbox for Event Grid; null when events are off
/// or they were not out within the wait.</param>
public sealed record TimeToRevoke(double RevokedMs, double? PublishedMs);
