using Azure;
using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Storage.Tables.Tests;

/// <summary>
/// The audit outbox's shortcut: batches this process stored are published from memory while it holds all of a chain's
/// pending rows, and from the table as soon as it may not. The table tests delete a row behind the store's back to
/// see which of the two a read used.
/// </summary>
public sealed class UnpublishedAuditBatchesTests : IClassFixture<StoreFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture _fixture;

    public UnpublishedAuditBatchesTests(StoreFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ChainStartedHere_IsReadFromMemory_AsTheTableWouldGiveIt_UntilPublished()
    {
        var chain = NewChain();
        await _fixture.Audit.AppendAsync(Records(chain, 1, 20), null, publish: true, None);
        await _fixture.Audit.AppendAsync(Records(chain, 21, 25), null, publish: true, None);

        var fromMemory = await _fixture.Outbox.ReadAsync(Partition(chain), 10, None);
        // Another instance (its own services on the same tables) knows nothing of these batches: it reads the table.
        await using var other = StoreFixture.BuildServices(_fixture.Prefix);
        var fromTable = await other.GetRequiredService<IOutboxStore>().ReadAsync(Partition(chain), 10, None);

        Assert.Equal(2, fromMemory.Count);
        Assert.Equal(fromTable.Select(e => (e.RowKey, e.EnqueuedAt, e.Attempts)), fromMemory.Select(e => (e.RowKey, e.EnqueuedAt, e.Attempts)));
        Assert.Equal(fromTable.SelectMany(e => e.Events), fromMemory.SelectMany(e => e.Events));
        Assert.Single(await _fixture.Outbox.ReadAsync(Partition(chain), 1, None));

        // A row deleted behind the store's back is still read: the read came from memory.
        await _fixture.Tables.Audit.DeleteEntityAsync(chain, fromMemory[1].RowKey, ETag.All);
        Assert.Equal(2, (await _fixture.Outbox.ReadAsync(Partition(chain), 10, None)).Count);

        await _fixture.Outbox.CompleteAsync(fromMemory, None);
        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(chain), 10, None));
        Assert.DoesNotContain(Partition(chain), (await _fixture.Outbox.ScanAsync(None)).Partitions);
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

        batches.Published(chain, ["o3"]);

        Assert.True(batches.TryRead(chain, 10, out var held));
        Assert.Equal(["o1", "o4"], held.Select(b => b.RowKey));
        Assert.False(batches.TryRead("unknown-chain", 10, out _));
    }

    private static string NewChain() => "chain-" + Guid.NewGuid().ToString("N");

    private static OutboxPartition Partition(string chain) => new(OutboxPartition.AuditStream, chain);

    private static List<AuditRecord> Records(string chain, long first, long last)
    {
        var records = new List<AuditRecord>();
        for (var i = first; i <= last; i++)
        {
            records.Add(new AuditRecord(chain, i,
                new AuditEntry(DateTimeOffset.UnixEpoch.AddSeconds(i), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, []),
                "h" + (i - 1), "h" + i));
        }

        return records;
    }
}
