using Kms.Core.Events;

namespace Kms.Core.Ports;

/// <summary>
/// A storage partition that holds outbox rows beside the state they describe: a key's partition
/// (<see cref="KeysStream"/>) or an audit chain's (<see cref="AuditStream"/>). The dispatcher works one partition
/// at a time, so events of one key are published in the order they were written.
/// </summary>
public sealed record OutboxPartition(string Stream, string PartitionKey)
{
    public const string KeysStream = "keys";
    public const string AuditStream = "audit";
}

/// <summary>
/// One outbox row and the events it stands for (one for a state change; the AuditRecord events of one stored audit
/// batch). The row is deleted once all of them are published.
/// </summary>
public sealed record OutboxEntry(
    OutboxPartition Partition,
    string RowKey,
    IReadOnlyList<KmsEvent> Events,
    DateTimeOffset EnqueuedAt,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? ETag);

/// <summary>What a sweep of the outbox found: the partitions to dispatch, and the backlog as a figure.</summary>
public sealed record OutboxScan(IReadOnlyList<OutboxPartition> Partitions, long PendingEntries, DateTimeOffset? OldestEnqueuedAt, long Poisoned);

/// <summary>
/// The transactional outbox. Rows are written by the stores together with the change they describe
/// (<see cref="IKeyStore"/>, <see cref="IKeyPolicyStore"/>, <see cref="IAuditStore"/>); this port is the dispatcher's
/// side: find, read, complete, retry later, or set aside as poison.
/// </summary>
public interface IOutboxStore
{
    /// <summary>Every partition with pending rows. A scan of the stores: run it on a timer, never per request.</summary>
    Task<OutboxScan> ScanAsync(CancellationToken cancellationToken);

    /// <summary>The partition's pending rows, oldest first (due or not: the caller decides), at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<OutboxEntry>> ReadAsync(OutboxPartition partition, int max, CancellationToken cancellationToken);

    /// <summary>Deletes published rows. A row already gone (another dispatcher published it too) is not an error.</summary>
    Task CompleteAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken);

    /// <summary>Counts a failed attempt and sets when to try again. Losing a race for the row is not an error.</summary>
    Task RecordFailureAsync(OutboxEntry entry, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken);

    /// <summary>Moves a row that keeps failing to the poison store (kept for an operator) and deletes it from the outbox.</summary>
    Task PoisonAsync(OutboxEntry entry, string error, CancellationToken cancellationToken);
}
