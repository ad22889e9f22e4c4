using Kms.Core;
using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Tests;

/// <summary>The outbox on Azurite: events commit with their change or not at all, and the dispatcher's side works.</summary>
public sealed class TableOutboxStoreTests : IClassFixture<StoreFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly StoreFixture _fixture;

    public TableOutboxStoreTests(StoreFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task CreateKey_WithEvents_StoresThemBesideTheKey_InOrder_AndSignals()
    {
        var key = Records.Key();
        var events = new[] { Event(key.KeyId, KmsEventTypes.KeyCreated), Event(key.KeyId, KmsEventTypes.KeyVersionCreated) };

        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), events, None);

        var entries = await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None);
        Assert.Equal(events, entries.Select(e => Assert.Single(e.Events)));
        Assert.All(entries, e => Assert.Equal(0, e.Attempts));
        Assert.Contains(Partition(key.KeyId), Drain(_fixture.Signal));
        // The rows are invisible to the key's own queries.
        Assert.Single(await _fixture.Keys.ListVersionsAsync(key.KeyId, None));
    }

    [Fact]
    public async Task UpdateKey_LostRace_WritesNeitherTheChangeNorItsEvent()
    {
        var created = Records.Key();
        var stored = await _fixture.Keys.CreateKeyAsync(created, Records.Version(created.KeyId, 1), None);
        await _fixture.Keys.UpdateKeyAsync(stored with { Description = "first writer" }, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => _fixture.Keys.UpdateKeyAsync(stored with { State = KeyState.Disabled },
            [Event(created.KeyId, KmsEventTypes.KeyDisabled)], None));

        Assert.Equal(KmsErrorCodes.ConcurrentModification, e.Code);
        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(created.KeyId), 10, None));
        Assert.Equal(KeyState.Enabled, (await _fixture.Keys.GetKeyAsync(created.KeyId, None))!.State);
    }

    [Fact]
    public async Task UpdateVersionAndPolicy_WithEvents_CommitTogether()
    {
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), None);
        var version = (await _fixture.Keys.GetVersionAsync(key.KeyId, 1, None))!;

        await _fixture.Keys.UpdateVersionAsync(version with { State = KeyVersionState.Disabled }, [Event(key.KeyId, KmsEventTypes.KeyVersionDisabled)], None);
        await _fixture.Policies.PutPolicyAsync(Records.Policy(key.KeyId), [Event(key.KeyId, KmsEventTypes.PolicyChanged)], None);

        var types = (await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None)).Select(e => e.Events[0].Type);
        Assert.Equal([KmsEventTypes.KeyVersionDisabled, KmsEventTypes.PolicyChanged], types);
        Assert.Equal(KeyVersionState.Disabled, (await _fixture.Keys.GetVersionAsync(key.KeyId, 1, None))!.State);
    }

    [Fact]
    public async Task Scan_FindsThePartition_AndComplete_RemovesTheRows()
    {
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), [Event(key.KeyId, KmsEventTypes.KeyCreated)], None);

        var scan = await _fixture.Outbox.ScanAsync(None);
        Assert.Contains(Partition(key.KeyId), scan.Partitions);
        Assert.True(scan.PendingEntries >= 1);
        Assert.NotNull(scan.OldestEnqueuedAt);

        await _fixture.Outbox.CompleteAsync(await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None), None);
        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None));
        Assert.DoesNotContain(Partition(key.KeyId), (await _fixture.Outbox.ScanAsync(None)).Partitions);
        // Completing again (another dispatcher got there first) is not an error.
        await _fixture.Outbox.CompleteAsync([new OutboxEntry(Partition(key.KeyId), "o-gone", [], DateTimeOffset.UnixEpoch, 0, null, null)], None);
    }

    [Fact]
    public async Task RecordFailure_CountsTheAttempt_AndPoison_MovesTheRowAside()
    {
        var key = Records.Key();
        var evt = Event(key.KeyId, KmsEventTypes.KeyCreated);
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), [evt], None);
        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None));
        var next = DateTimeOffset.UtcNow.AddMinutes(1);

        await _fixture.Outbox.RecordFailureAsync(entry, next, "status 503", None);
        var failed = Assert.Single(await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None));
        Assert.Equal(1, failed.Attempts);
        Assert.Equal(next.UtcTicks / TimeSpan.TicksPerMillisecond, failed.NextAttemptAt!.Value.UtcTicks / TimeSpan.TicksPerMillisecond);

        var poisonedBefore = (await _fixture.Outbox.ScanAsync(None)).Poisoned;
        await _fixture.Outbox.PoisonAsync(failed, "status 400", None);
        Assert.Empty(await _fixture.Outbox.ReadAsync(Partition(key.KeyId), 10, None));
        Assert.Equal(poisonedBefore + 1, (await _fixture.Outbox.ScanAsync(None)).Poisoned);
        var poison = await _fixture.Tables.OutboxPoison.GetEntityAsync<Azure.Data.Tables.TableEntity>(OutboxPartition.KeysStream,
            key.KeyId + "|" + entry.RowKey);
        Assert.Contains(evt.Id, poison.Value.GetString("Events"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditBatch_Published_BecomesAuditRecordEvents_BuiltFromTheStoredRecords()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var records = Enumerable.Range(1, 20).Select(i => new AuditRecord(chain, i,
            new AuditEntry(DateTimeOffset.UnixEpoch.AddSeconds(i), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, ["tenant"]),
            "h" + (i - 1), "h" + i)).ToList();

        await _fixture.Audit.AppendAsync(records, null, publish: true, None);

        var entry = Assert.Single(await _fixture.Outbox.ReadAsync(new OutboxPartition(OutboxPartition.AuditStream, chain), 10, None));
        Assert.Equal([$"audit-{chain}-1-16", $"audit-{chain}-17-20"], entry.Events.Select(e => e.Id));
        Assert.Equal(KmsEventFactory.AuditRecords(records), entry.Events);
        // The marker row is not a record: the chain reads as before.
        var count = 0;
        await foreach (var _ in _fixture.Audit.ReadChainAsync(chain, None))
        {
            count++;
        }

        Assert.Equal(20, count);
    }

    [Fact]
    public async Task AuditBatch_NotPublished_WritesNoOutboxRow()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var record = new AuditRecord(chain, 1, new AuditEntry(DateTimeOffset.UnixEpoch, "a", [], "Encrypt", null, null, 200, null, null, "r", null, []), "g", "h");

        await _fixture.Audit.AppendAsync([record], null, None);

        Assert.Empty(await _fixture.Outbox.ReadAsync(new OutboxPartition(OutboxPartition.AuditStream, chain), 10, None));
    }

    private static OutboxPartition Partition(string keyId) => new(OutboxPartition.KeysStream, keyId);

    private static KmsEvent Event(string keyId, string type) =>
        new(Guid.NewGuid().ToString("D"), type, "/keys/" + keyId, DateTimeOffset.UtcNow, """{"keyId":"x"}""");

    private static List<OutboxPartition> Drain(OutboxSignal signal)
    {
        var seen = new List<OutboxPartition>();
        while (signal.Reader.TryRead(out var p))
        {
            seen.Add(p);
        }

        return seen;
    }
}
