namespace Kms.Core.Events;

/// <summary>
/// An event the KMS owes its subscribers, as written to the outbox and published as a CloudEvent 1.0.
/// <see cref="Id"/> is fixed when the event is written, so a re-publish after a crash carries the same id and
/// subscribers de-duplicate on it.
/// </summary>
/// <param name="Type">One of <see cref="KmsEventTypes"/>.</param>
/// <param name="Subject"><c>/keys/{keyId}</c> or <c>/keys/{keyId}/versions/{version}</c>; <c>/audit/{chainId}</c> for audit records.</param>
/// <param name="Data">The event's data as JSON (camelCase, documented in docs/events.md). Never key material,
/// plaintext or encryption-context values.</param>
public sealed record KmsEvent(string Id, string Type, string Subject, DateTimeOffset Time, string Data)
{
    /// <summary>
    /// For an AuditRecord event, how many audit records its data carries (up to
    /// <see cref="KmsEventFactory.AuditRecordsPerEvent"/>); 0 for every other event. The dispatcher counts published
    /// records with it (<c>kms.audit.records.published</c>, compared with the records stored), without parsing the data.
    /// Not part of the published event.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int AuditRecordCount { get; init; }
}

/// <summary>Data of the key lifecycle events (KeyCreated, KeyEnabled, KeyDisabled, KeyDeletionScheduled, KeyDeletionCanceled).</summary>
/// <param name="Principal">Who made the change.</param>
/// <param name="RequestId">The request that made it: the same id is in the audit record.</param>
public sealed record KeyEventData(
    string KeyId,
    string KeySpec,
    string KeyUsage,
    string KeyState,
    int PrimaryVersion,
    DateTimeOffset? DeletionDate,
    string? Principal,
    string? RequestId);

/// <summary>Data of the version events (KeyVersionCreated, KeyVersionEnabled, KeyVersionDisabled).</summary>
public sealed record KeyVersionEventData(
    string KeyId,
    int Version,
    string VersionState,
    int PrimaryVersion,
    string? Principal,
    string? RequestId);

/// <summary>
/// Data of KeyVersionRevoked: the version is refused for every use from now on. Subscribers drop cached data keys and
/// plaintext obtained under it.
/// </summary>
/// <param name="Reason">Why, as the operator gave it.</param>
/// <param name="OperationId">The revocation operation (status at <c>GET /api/operations/{id}</c>).</param>
public sealed record KeyVersionRevokedEventData(
    string KeyId,
    int Version,
    string VersionState,
    int PrimaryVersion,
    string Reason,
    string OperationId,
    string? Principal,
    string? RequestId);

/// <summary>Data of KeyRotated: the primary version moved from <paramref name="PreviousPrimaryVersion"/> to <paramref name="PrimaryVersion"/>.</summary>
public sealed record KeyRotatedEventData(string KeyId, int PreviousPrimaryVersion, int PrimaryVersion, string? Principal, string? RequestId);

/// <summary>
/// Data of KeyRotationFailed: the rotation that made <paramref name="Version"/> was rolled back; the version is disabled
/// and <paramref name="PrimaryVersion"/> is still the primary.
/// </summary>
/// <param name="Reason">Which step failed and why (never key material or data).</param>
public sealed record KeyRotationFailedEventData(string KeyId, int Version, int PrimaryVersion, string Reason, string? Principal, string? RequestId);

/// <summary>Data of PolicyChanged: the SHA-256 of the new policy document (read the document with GET .../policy).</summary>
public sealed record PolicyChangedEventData(string KeyId, string PolicySha256, string? Principal, string? RequestId);

/// <summary>
/// Data of AuditRecord: consecutive records of one audit chain, in order. With <see cref="AuditEventRecord.PreviousHash"/>
/// a SIEM can check the links itself.
/// </summary>
public sealed record AuditRecordEventData(string ChainId, long FirstSequence, long LastSequence, IReadOnlyList<AuditEventRecord> Records);

/// <summary>One audit record as published; the same fields as <c>GET /api/audit</c> plus the previous record's hash.</summary>
public sealed record AuditEventRecord(
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
    string PreviousHash,
    string Hash);
