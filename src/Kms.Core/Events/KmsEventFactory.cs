using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kms.Core.Audit;

namespace Kms.Core.Events;

/// <summary>Builds the events of state changes and of audit batches: one place for subjects, ids and data shapes.</summary>
public static class KmsEventFactory
{
    /// <summary>Audit records per AuditRecord event: keeps each event well under 64 KB (Event Grid bills per 64 KB).</summary>
    public const int AuditRecordsPerEvent = 16;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string KeySubject(string keyId) => "/keys/" + keyId;

    public static string VersionSubject(string keyId, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"/keys/{keyId}/versions/{version}");

    /// <summary>A key lifecycle event carrying the key's state after the change.</summary>
    public static KmsEvent ForKey(string type, KeyRecord key, string? principal, string? requestId, DateTimeOffset time) =>
        Create(type, KeySubject(key.KeyId), time, new KeyEventData(key.KeyId, KeySpecNames.ToWire(key.Spec), KeyUsageNames.ToWire(key.Usage),
            KeyStateNames.ToWire(key.State), key.PrimaryVersion, key.DeletionDate, principal, requestId));

    /// <summary>A version event carrying the version's state after the change.</summary>
    public static KmsEvent ForVersion(string type, KeyRecord key, KeyVersionRecord version, string? principal, string? requestId, DateTimeOffset time) =>
        Create(type, VersionSubject(key.KeyId, version.Version), time, new KeyVersionEventData(key.KeyId, version.Version,
            KeyVersionStateNames.ToWire(version.State), key.PrimaryVersion, principal, requestId));

    public static KmsEvent VersionRevoked(KeyRecord key, KeyVersionRecord version, string reason, string operationId, string? principal,
        string? requestId, DateTimeOffset time) =>
        Create(KmsEventTypes.KeyVersionRevoked, VersionSubject(key.KeyId, version.Version), time, new KeyVersionRevokedEventData(key.KeyId,
            version.Version, KeyVersionStateNames.ToWire(version.State), key.PrimaryVersion, reason, operationId, principal, requestId));

    public static KmsEvent KeyRotated(KeyRecord key, int previousPrimary, string? principal, string? requestId, DateTimeOffset time) =>
        Create(KmsEventTypes.KeyRotated, KeySubject(key.KeyId), time,
            new KeyRotatedEventData(key.KeyId, previousPrimary, key.PrimaryVersion, principal, requestId));

    public static KmsEvent RotationFailed(KeyRecord key, KeyVersionRecord version, string reason, string? principal, string? requestId,
        DateTimeOffset time) =>
        Create(KmsEventTypes.KeyRotationFailed, VersionSubject(key.KeyId, version.Version), time,
            new KeyRotationFailedEventData(key.KeyId, version.Version, key.PrimaryVersion, reason, principal, requestId));

    public static KmsEvent PolicyChanged(string keyId, string document, string? principal, string? requestId, DateTimeOffset time) =>
        Create(KmsEventTypes.PolicyChanged, KeySubject(keyId), time, new PolicyChangedEventData(keyId,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(document))), principal, requestId));

    /// <summary>
    /// The AuditRecord events of one stored batch of consecutive records, <see cref="AuditRecordsPerEvent"/> to an event.
    /// Ids derive from the chain and the sequence numbers, so the same batch always yields the same events.
    /// </summary>
    public static IReadOnlyList<KmsEvent> AuditRecords(IReadOnlyList<AuditRecord> records)
    {
        var events = new List<KmsEvent>();
        foreach (var chunk in records.Chunk(AuditRecordsPerEvent))
        {
            var first = chunk[0];
            var last = chunk[^1];
            var data = new AuditRecordEventData(first.ChainId, first.Sequence, last.Sequence, chunk.Select(ToEventRecord).ToArray());
            var id = string.Create(CultureInfo.InvariantCulture, $"audit-{first.ChainId}-{first.Sequence}-{last.Sequence}");
            events.Add(new KmsEvent(id, KmsEventTypes.AuditRecord, "/audit/" + first.ChainId, last.Entry.Time, JsonSerializer.Serialize(data, Json))
            {
                AuditRecordCount = chunk.Length,
            });
        }

        return events;
    }

    private static AuditEventRecord ToEventRecord(AuditRecord record)
    {
        var e = record.Entry;
        return new AuditEventRecord(record.Sequence, e.Time, e.Principal, e.Roles, e.Operation, e.KeyId, e.KeyVersion, e.Status, e.ErrorCode,
            e.Reason, e.RequestId, e.CallerAddress, e.ContextKeys, record.PreviousHash, record.Hash);
    }

    private static KmsEvent Create<T>(string type, string subject, DateTimeOffset time, T data) =>
        new(Guid.NewGuid().ToString("D"), type, subject, time, JsonSerializer.Serialize(data, Json));
}
