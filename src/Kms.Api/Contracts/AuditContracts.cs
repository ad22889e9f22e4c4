namespace Kms.Api.Contracts;

public sealed record AuditRecordResponse(
    string ChainId,
    long Sequence,
    DateTimeOffset Time,
    string? Principal,
    IReadOnlyList<string> Roles,
    string Operation,
    string? KeyId,
    int? KeyVersion,
    int Status,
    string? ErrorCode,
    string? Reason,
    string RequestId,
    string? CallerAddress,
    IReadOnlyList<string> ContextKeys,
    string Hash);

public sealed record AuditListResponse(IReadOnlyList<AuditRecordResponse> Records, string? ContinuationToken);

public sealed record AuditBreakResponse(string ChainId, long Sequence, string Problem);

public sealed record AuditVerifyResponse(bool Valid, int Chains, long Records, IReadOnlyList<AuditBreakResponse> Breaks);
