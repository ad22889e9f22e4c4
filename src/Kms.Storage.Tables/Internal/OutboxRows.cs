using System.Globalization;
using Azure.Data.Tables;
using Kms.Core.Events;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Outbox rows: events stored in the partition of the state they describe, so they commit in the change's own
/// transaction. Layout on <see cref="TableOutboxStore"/>.
/// </summary>
internal static class OutboxRows
{
    // "o" sorts after "key", "c" and before "policy", "r", "v": no other query of a key or audit partition sees these rows.
    public const string Prefix = "o";
    public const string End = "p";

    public const string EventId = nameof(EventId);
    public const string Type = nameof(Type);
    public const string Subject = nameof(Subject);
    public const string TimeTicks = nameof(TimeTicks);
    public const string Data = nameof(Data);
    public const string EnqueuedAt = nameof(EnqueuedAt);
    public const string Attempts = nameof(Attempts);
    public const string NextAttemptAt = nameof(NextAttemptAt);
    public const string LastError = nameof(LastError);
    public const string FirstSequence = nameof(FirstSequence);
    public const string LastSequence = nameof(LastSequence);

    /// <summary>
    /// Time first, so a partition's rows come back in the order they were written; the index keeps the events of one
    /// change in order, and the event id keeps two changes in the same tick apart.
    /// </summary>
    public static string RowKey(KmsEvent e, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{e.Time.UtcTicks:D19}-{index:D3}-{e.Id}");

    public static IEnumerable<TableTransactionAction> Adds(string partitionKey, IReadOnlyList<KmsEvent> events) =>
        events.Select((e, i) => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(partitionKey, RowKey(e, i))
        {
            [EventId] = e.Id,
            [Type] = e.Type,
            [Subject] = e.Subject,
            [TimeTicks] = e.Time.UtcTicks,
            [Data] = e.Data,
            [EnqueuedAt] = e.Time.UtcDateTime,
            [Attempts] = 0,
        }));

    /// <summary>
    /// The row standing for one stored audit block: the records themselves are the event data. It carries no attempt
    /// count (absent reads as 0), so merging it over a row that exists keeps that row's count.
    /// </summary>
    public static TableEntity AuditBatch(string chainId, long firstSequence, long lastSequence, DateTimeOffset enqueuedAt) =>
        new(chainId, AuditBatchKey(firstSequence))
        {
            [FirstSequence] = firstSequence,
            [LastSequence] = lastSequence,
            [EnqueuedAt] = enqueuedAt.UtcDateTime,
        };

    /// <summary>The row key of the audit batch (or block) that starts at <paramref name="firstSequence"/>.</summary>
    public static string AuditBatchKey(long firstSequence) => Prefix + firstSequence.ToString("D19", CultureInfo.InvariantCulture);

    public static KmsEvent ToEvent(TableEntity row) =>
        new(row.GetString(EventId) ?? "", row.GetString(Type) ?? "", row.GetString(Subject) ?? "",
            new DateTimeOffset(row.GetInt64(TimeTicks) ?? 0, TimeSpan.Zero), row.GetString(Data) ?? "{}");

    public static string PartitionFilter(string partitionKey) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {Prefix} and RowKey lt {End}");

    public static string AllFilter { get; } = TableClient.CreateQueryFilter($"RowKey ge {Prefix} and RowKey lt {End}");
}
