using Azure;
using Azure.Data.Tables;
using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kms.Storage.Tables.Tests;

/// <summary>
/// How stored audit batches become events: the process that stored a chain's batches publishes them from memory and
/// moves the chain's published cursor, with no outbox row at all; anything after the cursor that its writer no longer
/// holds (a failure here, a crash, another instance) gets outbox rows first and is published from the table. The
/// table tests delete a row behind the store's back to see which of the two a read used.
/// </summary>
public sealed class UnpublishedAuditBatchesTests : IClassFixture<StoreFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture _fixture;

    public UnpublishedAuditBatchesTests(StoreFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ChainStartedHere_IsPublishedFromMemory_WithoutOutboxRows_ThenTheCursorMovesPastIt()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 20), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 21, 25), null, publish: true, None);

        var fromMemory = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);
        Assert.Equal(2, fromMemory.Count);
        Assert.All(fromMemory, e => Assert.Null(e.ETag));
        Assert.Equal(KmsEventFactory.AuditRecords(Records(chain, 1, 20)).Concat(KmsEventFactory.AuditRecords(Records(chain, 21, 25))),
            fromMemory.SelectMany(e => e.Events));
        Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 1, None));
        Assert.Empty(await OutboxRowsAsync(chain));
        Assert.Equal(0, await CursorAsync(chain));
        Assert.Contains(Partition(chain), (await _fixture.Outbox.ScanAsync(None)).Partitions);

        // Another instance leaves a live writer's fresh records alone: they are not older than its takeover delay.
        await using (var other = StoreFixture.BuildServices(_fixture.Prefix))
        {
            Assert.Empty(await other.GetRequiredService<IOutboxStore>().ReadAsync(Partition(chain), 10, None));
            Assert.Empty(await OutboxRowsAsync(chain));
        }

        await _fixture.Outbox.CompleteAsync([fromMemory[0]], None);
        Assert.Equal(20, await CursorAsync(chain));
        await _fixture.Outbox.CompleteAsync([fromMemory[1]], None);
        Assert.Equal(25, await CursorAsync(chain));
        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        Assert.DoesNotContain(Partition(chain), (await _fixture.Outbox.ScanAsync(None)).Partitions);

        // Once published, nothing is left for anyone to take over.
        await using var late = StoreFixture.BuildServices(_fixture.Prefix, auditTakeoverDelay: TimeSpan.Zero);
        Assert.Empty(await late.GetRequiredService<IOutboxStore>().ReadAsync(Partition(chain), 10, None));
        Assert.Empty(await OutboxRowsAsync(chain));
    }

    [Fact]
    public async Task BlocksLeftAfterTheCursor_AreTakenOverByAnotherInstance_AsOutboxRows_WithTheSameEvents()
    {
        // The writer stores two batches and never publishes them (as if it crashed).
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 20), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 21, 25), null, publish: true, None);
        var fromMemory = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);

        await using var other = StoreFixture.BuildServices(_fixture.Prefix, auditTakeoverDelay: TimeSpan.Zero);
        var outbox = other.GetRequiredService<IOutboxStore>();
        Assert.Contains(Partition(chain), (await outbox.ScanAsync(None)).Partitions);
        var fromTable = await outbox.ReadAsync(Partition(chain), 10, None);

        Assert.Equal(fromMemory.Select(e => (e.RowKey, e.EnqueuedAt)), fromTable.Select(e => (e.RowKey, e.EnqueuedAt)));
        Assert.Equal(fromMemory.SelectMany(e => e.Events), fromTable.SelectMany(e => e.Events));
        Assert.All(fromTable, e => Assert.NotNull(e.ETag));
        Assert.Equal(25, await CursorAsync(chain));

        await outbox.CompleteAsync(fromTable, None);
        Assert.Empty(await OutboxRowsAsync(chain));
        Assert.Empty(await outbox.ReadAsync(Partition(chain), 10, None));
        // The writer publishing its copy as well only repeats the events; the cursor stays where it is.
        await _fixture.Outbox.CompleteAsync(fromMemory, None);
        Assert.Equal(25, await CursorAsync(chain));
        Assert.Empty(await OutboxRowsAsync(chain));
    }

    [Fact]
    public async Task AChainWrittenWithAnOutboxRowPerBatch_BeforeTheCursor_IsStillPublishedFromItsRows()
    {
        // The layout before the cursor: the chain's row without one, each block committed with its outbox row.
        var chain = NewChain();
        var records = Records(chain, 1, 3);
        await _fixture.Tables.Audit.AddEntityAsync(new TableEntity(AuditChains.Partition, chain));
        await _fixture.Tables.Audit.SubmitTransactionAsync(
            AuditBlocks.ToEntities(records).Append(OutboxRows.AuditBatch(chain, 1, 3, records[^1].Entry.Time))
                .Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)));

        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        Assert.Equal(KmsEventFactory.AuditRecords(records), entry.Events);
        await _fixture.Outbox.CompleteAsync([entry], None);

        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        Assert.Null(await CursorAsync(chain));
    }

    [Fact]
    public async Task AfterAFailedPublish_TheChainIsReadFromTheTable_WithItsAttempts()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 3), null, publish: true, None);
        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        var next = DateTimeOffset.UtcNow.AddMinutes(1);

        await _fixture.Outbox.RecordFailureAsync(entry, next, "status 503", None);
        await _fixture.Audit.AppendAsync(Records(chain, 4, 5), null, publish: true, None);

        var entries = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);
        Assert.Equal(2, entries.Count);
        Assert.Equal(1, entries[0].Attempts);
        Assert.NotNull(entries[0].NextAttemptAt);
        Assert.NotNull(entries[0].ETag);
        Assert.Equal(KmsEventFactory.AuditRecords(Records(chain, 4, 5)), entries[1].Events);
    }

    [Fact]
    public async Task ABatchHeldInMemory_Poisoned_IsSetAside_AndNotPublishedAgain()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 3), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 4, 4), null, publish: true, None);
        var held = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);

        await _fixture.Outbox.PoisonAsync(held[0], "status 400", None);

        var poison = await _fixture.Tables.OutboxPoison.GetEntityAsync<TableEntity>(OutboxPartition.AuditStream, chain + "|" + held[0].RowKey);
        Assert.Contains(held[0].Events[0].Id, poison.Value.GetString("Events"), StringComparison.Ordinal);
        // The other batch now has a row of its own; the poisoned one has none and the cursor is past both.
        var left = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        Assert.Equal(held[1].Events, left.Events);
        Assert.NotNull(left.ETag);
        Assert.Equal(4, await CursorAsync(chain));
    }

    [Fact]
    public async Task AFullyPublishedIdleChain_IsClosedByAnotherInstance_AndReopenedByItsWriterBeforeItAppends()
    {
        // Closing after no idle time at all (the default is an hour), so the writer also reopens before every append.
        var writerChains = new AuditChains(_fixture.Tables, closeIdleAfter: TimeSpan.Zero);
        var writerBatches = new UnpublishedAuditBatches();
        var writer = new TableAuditStore(_fixture.Tables, writerChains, NullLogger<TableAuditStore>.Instance, unpublished: writerBatches);
        var writerOutbox = new TableOutboxStore(_fixture.Tables, writerChains, TimeSpan.Zero, TimeProvider.System, NullLogger<TableOutboxStore>.Instance,
            writerBatches);
        var other = new TableOutboxStore(_fixture.Tables, new AuditChains(_fixture.Tables, closeIdleAfter: TimeSpan.Zero), TimeSpan.Zero,
            TimeProvider.System, NullLogger<TableOutboxStore>.Instance);
        var chain = NewChain();
        await writer.AppendAsync(Records(chain, 1, 3), null, publish: true, None);
        await writerOutbox.CompleteAsync(await writerOutbox.ReadAsync(Partition(chain), 10, None), None);
        Assert.Equal(3, await CursorAsync(chain));

        // The writer's own sweep never closes its chain; another instance's does, once nothing is left after the cursor.
        await writerOutbox.ScanAsync(None);
        Assert.False(await ClosedAsync(chain));
        await other.ScanAsync(None);
        Assert.True(await ClosedAsync(chain));

        // The writer reopens it before it stores more, so those records are still taken over if it dies now.
        await writer.AppendAsync(Records(chain, 4, 5), null, publish: true, None);
        Assert.False(await ClosedAsync(chain));
        Assert.Contains(Partition(chain), (await other.ScanAsync(None)).Partitions);
        var taken = Assert.Single(await other.ReadAsync(Partition(chain), 10, None));
        Assert.Equal(KmsEventFactory.AuditRecords(Records(chain, 4, 5)), taken.Events);
        Assert.Equal(5, await CursorAsync(chain));
    }

    [Fact]
    public async Task AReleasedChain_GetsOutboxRowsForWhatItsWriterHeld_WhichAnotherInstancePublishesAtOnce()
    {
        // The writer stores three batches, publishes the first, and its process stops (the chain is released).
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 5), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 6, 9), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 10, 12), null, publish: true, None);
        var held = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);
        await _fixture.Outbox.CompleteAsync([held[0]], None);
        Assert.Equal(5, await CursorAsync(chain));

        await _fixture.Audit.ReleaseChainAsync(chain, None);

        Assert.Equal([held[1].RowKey, held[2].RowKey], await OutboxRowsAsync(chain));
        Assert.Equal(12, await CursorAsync(chain));
        // Another instance with the default takeover delay (1 min) does not wait for these records to be abandoned.
        await using var other = StoreFixture.BuildServices(_fixture.Prefix);
        var outbox = other.GetRequiredService<IOutboxStore>();
        Assert.Contains(Partition(chain), (await outbox.ScanAsync(None)).Partitions);
        var fromRows = await outbox.ReadAsync(Partition(chain), 10, None);
        Assert.Equal(held.Skip(1).SelectMany(e => e.Events), fromRows.SelectMany(e => e.Events));
        Assert.All(fromRows, e => Assert.NotNull(e.ETag));
    }

    [Fact]
    public async Task ReleasingAChainNotPublished_OrNotWrittenHere_WritesNothing()
    {
        var unpublished = NewChain();
        await _fixture.Audit.AppendAsync(Records(unpublished, 1, 3), null, publish: false, None);
        await _fixture.Audit.ReleaseChainAsync(unpublished, None);
        Assert.Empty(await OutboxRowsAsync(unpublished));
        Assert.Null(await CursorAsync(unpublished));

        // Another process's chain is that process's to release (or, if it crashed, to take over after the delay).
        var foreign = NewChain();
        await using (var writer = StoreFixture.BuildServices(_fixture.Prefix))
        {
            await writer.GetRequiredService<IAuditStore>().AppendAsync(Records(foreign, 1, 3), null, publish: true, None);
        }

        await _fixture.Audit.ReleaseChainAsync(foreign, None);
        Assert.Empty(await OutboxRowsAsync(foreign));
        Assert.Equal(0, await CursorAsync(foreign));
    }

    [Fact]
    public async Task ChainNotStartedHere_IsReadFromTheTable()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 7, 9), null, publish: true, None);
        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));

        await _fixture.Tables.Audit.DeleteEntityAsync(chain, entry.RowKey, ETag.All);

        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
    }

    [Fact]
    public async Task AfterAFailedAppend_TheChainIsReadFromTheTable()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 3), null, publish: true, None);
        // The same numbers with other records: the transaction fails (a conflict that is not our own retry).
        var conflicting = Records(chain, 1, 3).Select(r => r with { Hash = r.Hash + "-other" }).ToList();
        await Assert.ThrowsAsync<KmsException>(() => _fixture.Audit.AppendAsync(conflicting, null, publish: true, None));
        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));

        await _fixture.Tables.Audit.DeleteEntityAsync(chain, entry.RowKey, ETag.All);

        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
    }

    [Fact]
    public void Backlog_PastTheLimit_FallsBackToTheTable_ForGood()
    {
        var batches = new UnpublishedAuditBatches();
        var chain = NewChain();
        var first = Records(chain, 1, 10_000);
        batches.Stored(chain, new UnpublishedAuditBatches.Batch("o1", first, DateTimeOffset.UnixEpoch));
        Assert.True(batches.TryRead(chain, 10, out var held));
        Assert.Single(held);

        for (var start = 10_001L; start <= UnpublishedAuditBatches.MaxRecordsPerChain + 10_000; start += 10_000)
        {
            batches.Stored(chain, new UnpublishedAuditBatches.Batch("o" + start, Records(chain, start, start + 9_999), DateTimeOffset.UnixEpoch));
        }

        Assert.False(batches.TryRead(chain, 10, out _));
        batches.Published(chain, ["o1"]);
        batches.Stored(chain, new UnpublishedAuditBatches.Batch("o-late", Records(chain, 70_001, 70_001), DateTimeOffset.UnixEpoch));
        Assert.False(batches.TryRead(chain, 10, out _));
    }

    [Fact]
    public void Published_DropsOnlyThoseBatches_InOrder()
    {
        var batches = new UnpublishedAuditBatches();
        var chain = NewChain();
        batches.Stored(chain, new UnpublishedAuditBatches.Batch("o1", Records(chain, 1, 2), DateTimeOffset.UnixEpoch));
        batches.Stored(chain, new UnpublishedAuditBatches.Batch("o3", Records(chain, 3, 3), DateTimeOffset.UnixEpoch));
        batches.Stored(chain, new UnpublishedAuditBatches.Batch("o4", Records(chain, 4, 6), DateTimeOffset.UnixEpoch));

        // Batch 1-2 is still held, so the cursor may not pass it.
        Assert.Null(batches.Published(chain, ["o3"]));

        Assert.True(batches.TryRead(chain, 10, out var held));
        Assert.Equal(["o1", "o4"], held.Select(b => b.RowKey));
        Assert.False(batches.TryRead("unknown-chain", 10, out _));
        Assert.Equal(3, batches.Published(chain, ["o1"]));
        Assert.Equal(6, batches.Published(chain, ["o4"]));
        Assert.Null(batches.Published(chain, ["o4"]));
        Assert.Empty(batches.Pending());
    }

    private static string NewChain() => "chain-" + Guid.NewGuid().ToString("N");

    private async Task<bool> ClosedAsync(string chain) =>
        (await _fixture.Tables.Audit.GetEntityAsync<TableEntity>(AuditChains.Partition, chain)).Value.GetBoolean("Closed") == true;

    /// <summary>The chain's published cursor as stored; null when it has none.</summary>
    private async Task<long?> CursorAsync(string chain) =>
        (await _fixture.Tables.Audit.GetEntityAsync<TableEntity>(AuditChains.Partition, chain)).Value.GetInt64("PublishedThrough");

    private async Task<List<string>> OutboxRowsAsync(string chain)
    {
        var rows = new List<string>();
        await foreach (var row in _fixture.Tables.Audit.QueryAsync<TableEntity>(OutboxRows.PartitionFilter(chain), select: ["RowKey"]))
        {
            rows.Add(row.RowKey);
        }

        return rows;
    }

    private static OutboxPartition Partition(string chain) => new(OutboxPartition.AuditStream, chain);

    // Records of a few seconds ago: another instance's takeover delay (1 min) counts from a record's time, so they are
    // fresh for it, while this process's own reads, which give rows to blocks up to the present, count them as past.
    // (Record i is Now + i ms: with Now at the present, the first test to run could store them in the future.)
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow.AddSeconds(-10);

    private static List<AuditRecord> Records(string chain, long first, long last)
    {
        var records = new List<AuditRecord>();
        for (var i = first; i <= last; i++)
        {
            records.Add(new AuditRecord(chain, i,
                new AuditEntry(Now.AddMilliseconds(i), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, []),
                "h" + (i - 1), "h" + i));
        }

        return records;
    }
}
