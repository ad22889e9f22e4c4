using Kms.Core;
using Kms.Core.Ports;
using Kms.Core.Services;

namespace Kms.Workflows.Revocation;

/// <summary>What starts a revocation. The HTTP request has already revoked the versions (<paramref name="Revoked"/>).</summary>
/// <param name="Sources">Where ciphertexts under the revoked versions are stored: each gets a rewrap campaign.</param>
/// <param name="RequestedAt">When the KMS received the request: time to revoke is measured from it.</param>
/// <param name="RequiredApprovals">Distinct approvers, other than the requester, needed to destroy the revoked material.</param>
public sealed record RevocationInput(string KeyId, int[] Versions, string Reason, RewrapSourceSpec[] Sources, string RequestedBy, string? RequestId,
    DateTime RequestedAt, RevocationResult Revoked, int RequiredApprovals, TimeSpan ApprovalTimeout)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public Actor Actor => new(RequestedBy, RequestId);
}

/// <summary>Input of the revocation's own activities.</summary>
public sealed record RevocationStep(string KeyId, string OperationId, int[] Versions, string Reason, string RequestedBy, string? RequestId)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public Actor Actor => new(RequestedBy, RequestId);
}

/// <summary>Input of the wait for the KeyVersionRevoked events to be published.</summary>
public sealed record PublishWait(string KeyId, string[] EventIds);

/// <summary>The result of a revocation: the versions revoked, the replacement primary, and whether the material was destroyed.</summary>
public sealed record RevocationOutput(string KeyId, int[] Versions, int ReplacementVersion, bool Destroyed);

/// <summary>Step and checkpoint names of a revocation, as the status API shows them.</summary>
public static class RevocationSteps
{
    public const string Revoke = "revoke", Revoked = "revoked";
    public const string Announce = "announce", Announced = "announced";
    public const string Replace = "replace", ReplacementPromoted = "replacement-promoted";
    public const string Rewrap = "rewrap", Rewrapped = "rewrapped";
    public const string AwaitApprovals = "awaiting-approvals", Approved = "approved", ApprovalsExpired = "approvals-expired";
    public const string Destroy = "destroy", Destroyed = "destroyed";
    public const string Done = "done";
}

/// <summary>Ends a revocation that could not finish; the versions stay revoked whatever failed.</summary>
public sealed class RevocationFailedException(string message) : Exception(message);
