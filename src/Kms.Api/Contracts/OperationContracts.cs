namespace Kms.Api.Contracts;

/// <summary>A long-running operation (orchestration): where it is, what it passed, what went wrong.</summary>
/// <param name="State">PENDING, RUNNING, PAUSED, COMPLETED, FAILED or CANCELED.</param>
/// <param name="Step">The step it is on (or ended on), e.g. create-version, canary, promote, roll-back, done.</param>
/// <param name="Checkpoints">Steps completed, in order, e.g. version-created, canary-passed, promoted.</param>
/// <param name="Version">The key version the operation works on, once known.</param>
/// <param name="StatusUrl">Where to poll it.</param>
/// <param name="Approvals">For operations that destroy material: approvals required, received, and the state of the wait.</param>
/// <param name="TimeToRevoke">For revocations: milliseconds from the request until the versions were revoked and until the
/// KeyVersionRevoked events were published.</param>
/// <param name="RelatedOperations">Operations this one started (the rewrap campaigns of a revocation or a rotation).</param>
/// <param name="CompletedAt">When it ended (COMPLETED, FAILED or CANCELED); absent while it runs.</param>
public sealed record OperationResponse(
    string OperationId,
    string Type,
    string? KeyId,
    string State,
    string? Step,
    IReadOnlyList<string> Checkpoints,
    int? Version,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string StatusUrl,
    RewrapProgressResponse? Progress = null,
    OperationApprovalsResponse? Approvals = null,
    TimeToRevokeResponse? TimeToRevoke = null,
    IReadOnlyList<string>? RelatedOperations = null,
    DateTimeOffset? CompletedAt = null);

/// <param name="State">pending (not needed yet; approvals given now count), waiting (until <paramref name="ExpiresAt"/>), approved or expired.</param>
public sealed record OperationApprovalsResponse(int Required, string RequestedBy, IReadOnlyList<OperationApproval> Received, string State,
    DateTimeOffset? ExpiresAt);

public sealed record OperationApproval(string Principal, DateTimeOffset ApprovedAt, string? Comment);

public sealed record TimeToRevokeResponse(double RevokedMs, double? PublishedMs);

/// <summary>Body of <c>POST /api/keys/{keyId}/revocations</c>.</summary>
/// <param name="Versions">The versions to revoke at once.</param>
/// <param name="Reason">Why (required; it is in the KeyVersionRevoked event and the audit log).</param>
/// <param name="Sources">Where ciphertexts under those versions are stored; each is rewrapped to the (replacement) primary.</param>
public sealed record RevocationRequest(int[]? Versions, string? Reason, RewrapSourceBody[]? Sources = null);

/// <summary>Body of <c>POST /api/keys/{keyId}/rotations</c> (optional).</summary>
/// <param name="Rewrap">Start rewrap campaigns of these sources onto the new version once it is primary.</param>
public sealed record RotationRequest(RotationRewrapBody? Rewrap = null);

/// <param name="DisableOldVersions">Each campaign disables the versions it moved data off, after a clean verification.</param>
public sealed record RotationRewrapBody(RewrapSourceBody[]? Sources, bool? DisableOldVersions = null);

/// <summary>Body of <c>POST /api/operations/{operationId}/approvals</c> (optional).</summary>
public sealed record OperationApprovalRequest(string? Comment = null);

/// <summary>Item counts of a rewrap campaign; <paramref name="Total"/> and <paramref name="EtaSeconds"/> when known.</summary>
public sealed record RewrapProgressResponse(long Done, long Skipped, long Failed, long? Total, double ItemsPerSecond, double? EtaSeconds, int Pass);

/// <summary>Body of <c>POST /api/rewrap-jobs</c>.</summary>
/// <param name="FromVersions">Versions to move off; every version but the primary when absent.</param>
/// <param name="DisableOldVersions">Disable those versions once verification finds nothing left on them.</param>
public sealed record RewrapJobRequest(string? KeyId, int[]? FromVersions, RewrapSourceBody? Source, bool? DisableOldVersions = null);

/// <summary>Where the ciphertexts are. <c>type</c> table: <c>table</c>, <c>column</c>, optional <c>filter</c> (OData) and
/// <c>contextColumn</c> (JSON object per item). <c>type</c> blob: <c>container</c>, optional <c>prefix</c>, <c>metadataName</c>
/// (else the body is the ciphertext) and <c>contextColumn</c> (a metadata entry). <c>connection</c> names a configured
/// connection (Kms:Rewrap:Connections).</summary>
public sealed record RewrapSourceBody(string? Type, string? Connection, string? Table = null, string? Column = null, string? Filter = null,
    string? ContextColumn = null, string? Container = null, string? Prefix = null, string? MetadataName = null);

public sealed record OperationListResponse(IReadOnlyList<OperationResponse> Operations, string? ContinuationToken);
