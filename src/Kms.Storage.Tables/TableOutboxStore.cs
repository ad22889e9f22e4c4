using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Kms.Core.Audit;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// The transactional outbox. An event is stored in the partition of the state it describes, in the same
// entity-group transaction as the change, so a change never commits without its events or the reverse:
//
//   "{prefix}keys", PartitionKey = key id, RowKey "o" + time ticks (19 digits) + "-" + index (3) + "-" + event id:
//     EventId, Type, Subject, TimeTicks (Int64, the event time), Data (JSON string), EnqueuedAt (DateTime),
//     Attempts (Int32), NextAttemptAt (DateTime, absent until a failure), LastError (string, absent until a failure)
//   "{prefix}audit", PartitionKey = chain id, RowKey "o" + first sequence (19 digits): one row per stored block that
//     its writer did not publish, FirstSequence, LastSequence (Int64), EnqueuedAt, Attempts, NextAttemptAt,
//     LastError. The block's records are the data; KmsEventFactory.AuditRecords cuts them into events with ids
//     derived from the sequence numbers. Audit records are not written with a row: a chain's records after its
//     published cursor are pending (AuditChains). The writer publishes them from memory (entries without an ETag,
//     UnpublishedAuditBatches) and moves the cursor; anything else after the cursor gets rows here first
//     (AuditChains.MaterializeAsync): at once for this process's own chains, after AuditTakeoverDelay for others.
//
// Rows are deleted once published. A row that keeps failing moves to "{prefix}outboxpoison":
//   PartitionKey = stream ("keys" or "audit"), RowKey = source partition + "|" + source row key:
//     Events (JSON array of the events as they would have been published), Attempts, LastError, EnqueuedAt, PoisonedAt
//
// Finding pending rows across partitions is a scan ("RowKey ge 'o' and RowKey lt 'p'" over both tables, keys
// only), after giving rows to the audit blocks left after each chain's cursor: the dispatcher runs it on a timer and
// at start, and between sweeps learns of new rows from OutboxSignal.

/// <summary><see cref="IOutboxStore"/> on Azure Tables.</summary>
internal sealed class TableOutboxStore : IOutboxStore
{
    private const int MaxErrorLength = 1024;
    private static readonly string[] ScanSelect = ["PartitionKey", "RowKey", OutboxRows.EnqueuedAt];
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly KmsTables _tables;
    private readonly AuditChains _chains;
    private readonly TimeSpan _takeoverDelay;
    private readonly TimeProvider _time;
    private readonly ILogger<TableOutboxStore> _logger;
    private readonly UnpublishedAuditBatches? _unpublished;

    /// <param name="takeoverDelay">How old a block of another process's chain must be before this process gives it an
    /// outbox row (<see cref="KmsEventOptions.AuditTakeoverDelay"/>).</param>
    public TableOutboxStore(KmsTables tables, AuditChains chains, TimeSpan takeoverDelay, TimeProvider time, ILogger<TableOutboxStore> logger,
        UnpublishedAuditBatches? unpublished = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(takeoverDelay, TimeSpan.Zero, "Kms:Events:AuditTakeoverDelay");
        _tables = tables;
        _chains = chains;
        _takeoverDelay = takeoverDelay;
        _time = time;
        _logger = logger;
        _unpublished = unpublished;
    }

    public Task<OutboxScan> ScanAsync(CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(ScanAsync), async () =>
        {
            foreach (var chain in await _chains.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                if (chain.PublishedThroughSequence is not null && !chain.IsClosed && _unpublished?.IsTrusted(chain.Id) != true)
                {
                    var now = _time.GetUtcNow();
                    var own = _unpublished?.IsOwn(chain.Id) == true;
                    await _chains.MaterializeAsync(chain, CutoffFor(chain.Id, now), own ? null : now - _chains.CloseIdleAfter, cancellationToken)
                        .ConfigureAwait(false);
                }
            }

            var partitions = new List<OutboxPartition>();
            long pending = 0;
            DateTimeOffset? oldest = null;
            foreach (var (chain, batches, since) in _unpublished?.Pending() ?? [])
            {
                // Held in memory by this process: pending as much as a row is.
                partitions.Add(new OutboxPartition(OutboxPartition.AuditStream, chain));
                pending += batches;
                oldest = oldest is null || since < oldest ? since : oldest;
            }

            foreach (var stream in new[] { OutboxPartition.KeysStream, OutboxPartition.AuditStream })
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                await foreach (var row in TableOf(stream).QueryAsync<TableEntity>(OutboxRows.AllFilter, select: ScanSelect,
                    cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    pending++;
                    if (seen.Add(row.PartitionKey) && !partitions.Contains(new OutboxPartition(stream, row.PartitionKey)))
                    {
                        partitions.Add(new OutboxPartition(stream, row.PartitionKey));
                    }

                    if (row.GetDateTimeOffset(OutboxRows.EnqueuedAt) is { } enqueued && (oldest is null || enqueued < oldest))
                    {
                        oldest = enqueued;
                    }
                }
            }

            long poisoned = 0;
            await foreach (var _ in _tables.OutboxPoison.QueryAsync<TableEntity>(select: ["PartitionKey"], cancellationToken: cancellationToken)
                .ConfigureAwait(false))
            {
                poisoned++;
            }

            return new OutboxScan(partitions, pending, oldest, poisoned);
        }, cancellationToken);

    public Task<IReadOnlyList<OutboxEntry>> ReadAsync(OutboxPartition partition, int max, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        if (partition.Stream == OutboxPartition.AuditStream && _unpublished is not null &&
            _unpublished.TryRead(partition.PartitionKey, max, out var batches))
        {
            // Batches this process stored and still holds: no need to read them back (see UnpublishedAuditBatches).
            return Task.FromResult<IReadOnlyList<OutboxEntry>>(batches.Select(b => new OutboxEntry(partition, b.RowKey,
                KmsEventFactory.AuditRecords(b.Records), b.EnqueuedAt, Attempts: 0, NextAttemptAt: null, ETag: null)).ToList());
        }

        return _logger.GuardAsync<IReadOnlyList<OutboxEntry>>(nameof(ReadAsync), async () =>
        {
            // This process's own chain once it no longer holds it: the blocks its appends signal have no rows yet.
            // (Other chains get theirs in the sweep, which is what queues them.)
            if (partition.Stream == OutboxPartition.AuditStream && _unpublished?.IsOwn(partition.PartitionKey) == true)
            {
                await MaterializeOwnAsync(partition.PartitionKey, cancellationToken).ConfigureAwait(false);
            }

            var rows = new List<TableEntity>();
            await foreach (var row in TableOf(partition.Stream).QueryAsync<TableEntity>(OutboxRows.PartitionFilter(partition.PartitionKey), maxPerPage: max,
                cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
                if (rows.Count == max)
                {
                    break;
                }
            }

            var audit = partition.Stream == OutboxPartition.AuditStream && rows.Count > 0
                ? await ReadAuditRecordsAsync(partition.PartitionKey, rows, cancellationToken).ConfigureAwait(false)
                : null;
            return rows.Select(row => new OutboxEntry(partition, row.RowKey, audit is null ? [OutboxRows.ToEvent(row)] : AuditEvents(row, audit),
                row.GetDateTimeOffset(OutboxRows.EnqueuedAt) ?? default, row.GetInt32(OutboxRows.Attempts) ?? 0,
                row.GetDateTimeOffset(OutboxRows.NextAttemptAt), row.ETag.ToString())).ToList();
        }, cancellationToken);
    }

    public Task CompleteAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(CompleteAsync), async () =>
        {
            foreach (var group in entries.GroupBy(e => e.Partition))
            {
                var table = TableOf(group.Key.Stream);
                var held = group.Where(IsHeldInMemory).Select(e => e.RowKey).ToHashSet(StringComparer.Ordinal);
                if (held.Count > 0 && _unpublished?.Published(group.Key.PartitionKey, held) is { } through)
                {
                    // Batches published from memory have no row: the chain's cursor moves past them instead.
                    await _chains.AdvanceAsync(group.Key.PartitionKey, through, cancellationToken).ConfigureAwait(false);
                }

                foreach (var chunk in group.Where(e => !IsHeldInMemory(e)).Chunk(100))
                {
                    try
                    {
                        // Unconditional: the events are out, whatever a concurrent failure count did to the row.
                        await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Delete,
                            new TableEntity(e.Partition.PartitionKey, e.RowKey), ETag.All)), cancellationToken).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e) when (e.Status == 404)
                    {
                        // Another dispatcher deleted some of them first; delete the rest one by one (a 404 there is fine).
                        foreach (var entry in chunk)
                        {
                            await table.DeleteEntityAsync(entry.Partition.PartitionKey, entry.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }

            return true;
        }, cancellationToken);

    public Task RecordFailureAsync(OutboxEntry entry, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _logger.GuardAsync(nameof(RecordFailureAsync), async () =>
        {
            await ReadFromTheTableNowAsync(entry, cancellationToken).ConfigureAwait(false);
            var patch = new TableEntity(entry.Partition.PartitionKey, entry.RowKey)
            {
                [OutboxRows.Attempts] = entry.Attempts + 1,
                [OutboxRows.NextAttemptAt] = nextAttemptAt.UtcDateTime,
                [OutboxRows.LastError] = Truncate(error),
            };
            try
            {
                await TableOf(entry.Partition.Stream).UpdateEntityAsync(patch, entry.ETag is null ? ETag.All : new ETag(entry.ETag), TableUpdateMode.Merge,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                // Published or updated by another dispatcher meanwhile: its outcome stands.
            }

            return true;
        }, cancellationToken);
    }

    public Task PoisonAsync(OutboxEntry entry, string error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return _logger.GuardAsync(nameof(PoisonAsync), async () =>
        {
            await ReadFromTheTableNowAsync(entry, cancellationToken).ConfigureAwait(false);
            // Kept first, then removed: a crash in between leaves the row in both places, never in neither.
            await _tables.OutboxPoison.UpsertEntityAsync(new TableEntity(entry.Partition.Stream, entry.Partition.PartitionKey + "|" + entry.RowKey)
            {
                ["Events"] = JsonSerializer.Serialize(entry.Events, Json),
                [OutboxRows.Attempts] = entry.Attempts + 1,
                [OutboxRows.LastError] = Truncate(error),
                [OutboxRows.EnqueuedAt] = entry.EnqueuedAt.UtcDateTime,
                ["PoisonedAt"] = _time.GetUtcNow().UtcDateTime,
            }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            try
            {
                await TableOf(entry.Partition.Stream).DeleteEntityAsync(entry.Partition.PartitionKey, entry.RowKey, ETag.All, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
            }

            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// After a failed publish of an audit batch held in memory the chain is read from the table for good: its batches
    /// get their rows now, so the failure can be counted on the row (and a poisoned row deleted) as for any other. An
    /// entry read from the table already has its row, and its chain (another process's) stays another's.
    /// </summary>
    private async Task ReadFromTheTableNowAsync(OutboxEntry entry, CancellationToken cancellationToken)
    {
        if (IsHeldInMemory(entry) && _unpublished is not null)
        {
            await _chains.HandOverAsync(entry.Partition.PartitionKey, _unpublished, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives rows to the blocks after the cursor of a chain this process wrote and no longer holds in memory.</summary>
    private Task<int> MaterializeOwnAsync(string chainId, CancellationToken cancellationToken) =>
        _unpublished?.IsTrusted(chainId) == true
            ? Task.FromResult(0)
            : _chains.MaterializeAsync(chainId, CutoffFor(chainId, _time.GetUtcNow()), closeUnchangedSince: null, cancellationToken);

    /// <summary>
    /// The newest record time whose block gets a row: every block of a chain of this process that it no longer holds in
    /// memory, the ones older than the takeover delay of another process's (which publishes its own meanwhile).
    /// </summary>
    private DateTimeOffset CutoffFor(string chainId, DateTimeOffset now) => _unpublished?.IsOwn(chainId) == true ? now : now - _takeoverDelay;

    /// <summary>An audit batch published from this process's memory (<see cref="UnpublishedAuditBatches"/>): it has no row.</summary>
    private static bool IsHeldInMemory(OutboxEntry entry) => entry.Partition.Stream == OutboxPartition.AuditStream && entry.ETag is null;

    private TableClient TableOf(string stream) => stream switch
    {
        OutboxPartition.KeysStream => _tables.Keys,
        OutboxPartition.AuditStream => _tables.Audit,
        _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, "Unknown outbox stream."),
    };

    /// <summary>The records of every batch in <paramref name="rows"/>, in one range query (batches of a chain are consecutive).</summary>
    private async Task<SortedList<long, AuditRecord>> ReadAuditRecordsAsync(string chainId, List<TableEntity> rows, CancellationToken cancellationToken)
    {
        var first = rows.Min(r => r.GetInt64(OutboxRows.FirstSequence) ?? 0);
        var last = rows.Max(r => r.GetInt64(OutboxRows.LastSequence) ?? 0);
        var filter = AuditBlocks.BatchRangeFilter(chainId, first, last);
        var records = new SortedList<long, AuditRecord>();
        await foreach (var row in _tables.Audit.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (var record in AuditBlocks.ToRecords(row))
            {
                records[record.Sequence] = record;
            }
        }

        return records;
    }

    private static IReadOnlyList<KmsEvent> AuditEvents(TableEntity row, SortedList<long, AuditRecord> records)
    {
        var first = row.GetInt64(OutboxRows.FirstSequence) ?? 0;
        var last = row.GetInt64(OutboxRows.LastSequence) ?? 0;
        var batch = new List<AuditRecord>();
        for (var sequence = first; sequence <= last; sequence++)
        {
            // A record missing here was deleted from the table: publish the rest; verification reports the gap.
            if (records.TryGetValue(sequence, out var record))
            {
                batch.Add(record);
            }
        }

        return KmsEventFactory.AuditRecords(batch);
    }

    private static string Truncate(string error) => error.Length <= MaxErrorLength ? error : error[..MaxErrorLength];
}
