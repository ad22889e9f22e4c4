namespace Kms.Core.Ports;

public enum ApprovalStatus
{
    Pending,
    Approved,
    Expired,
}

/// <summary>One approver's consent.</summary>
public sealed record Approval(string Principal, DateTimeOffset ApprovedAt, string? Comment);

/// <summary>
/// A request for a destructive operation that needs M-of-N approvals from distinct approvers other than
/// the requester. <see cref="Operation"/> is "DestroyKey" or "DestroyKeyVersion".
/// </summary>
public sealed record ApprovalRequest(
    string Id,
    string Operation,
    string KeyId,
    int? Version,
    string RequestedBy,
    string? Reason,
    int RequiredApprovals,
    IReadOnlyList<Approval> Approvals,
    ApprovalStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? ETag = null)
{
    public const string DestroyKey = "DestroyKey";
    public const string DestroyKeyVersion = "DestroyKeyVersion";
}

/// <summary>Approval requests; updates are ETag-conditional like every other store.</summary>
public interface IApprovalStore
{
    Task<ApprovalRequest> CreateAsync(ApprovalRequest request, CancellationToken cancellationToken);

    Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Replaces the request if its ETag still matches (ConcurrentModification otherwise).</summary>
    Task<ApprovalRequest> UpdateAsync(ApprovalRequest request, CancellationToken cancellationToken);

    /// <summary>Requests for one key, newest first.</summary>
    Task<IReadOnlyList<ApprovalRequest>> ListForKeyAsync(string keyId, CancellationToken cancellationToken);
}
