namespace Kms.Core.Audit;

/// <summary>
/// What happened in one request, as the API layer reports it. Never holds plaintext, key material or
/// encryption-context values: only the context's keys.
/// </summary>
public sealed record AuditEntry(
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
    IReadOnlyList<string> ContextKeys);

/// <summary>
/// An entry as stored: numbered within its chain (one chain per host process) and linked to the previous
/// record by <see cref="PreviousHash"/>; <see cref="Hash"/> covers every other field.
/// </summary>
public sealed record AuditRecord(string ChainId, long Sequence, AuditEntry Entry, string PreviousHash, string Hash);

/// <summary>A signed statement of a chain's head: records 1..Sequence exist and the last one has Hash.</summary>
/// <param name="Signature">ECDSA P-256 (DER) by the audit signing key, over <see cref="AuditHashing.CheckpointDigest"/>.</param>
public sealed record AuditCheckpoint(string ChainId, long Sequence, string Hash, DateTimeOffset Time, byte[] Signature);

/// <summary>The audit signing key: an EC P-256 key generated in the HSM and stored wrapped like every key version.</summary>
public sealed record AuditSigningKey(byte[] WrappedMaterial, byte[] PublicKey, string RootKeyLabel, string? ETag = null);

/// <summary>Filters of <c>GET /api/audit</c>; null means any.</summary>
public sealed record AuditQuery(string? KeyId, string? Principal, string? Operation, string? Result, DateTimeOffset? From, DateTimeOffset? To);
