using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Storage.Tables.Internal;

namespace Kms.Storage.Tables.Tests;

/// <summary>
/// Appending audit batches on Azurite. Found by the API fuzz test: under load the SDK retried a transaction whose first
/// attempt had committed, the retry met EntityAlreadyExists, and every later batch replayed the same numbers, so every
/// request failed closed with AuditUnavailable until a restart.
/// </summary>
public sealed class TableAuditStoreTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task AppendAsync_SameBatchAgain_IsStoredOnce_AndSucceeds()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var batch = Records(chain, 1, 3, "h");
        await fixture.Audit.AppendAsync(batch, null, publish: false, None);

        await fixture.Audit.AppendAsync(batch, null, publish: false, None);

        var stored = new List<AuditRecord>();
        await foreach (var record in fixture.Audit.ReadChainAsync(chain, None))
        {
            stored.Add(record);
        }

        Assert.Equal(batch.Select(r => (r.Sequence, r.Hash)), stored.Select(r => (r.Sequence, r.Hash)));
    }

    [Fact]
    public async Task AppendAsync_OtherRecordsWithStoredSequenceNumbers_StillRefused()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        await fixture.Audit.AppendAsync(Records(chain, 1, 3, "h"), null, publish: false, None);

        // The same numbers with other content are a real conflict (another writer on the chain): never papered over.
        var error = await Assert.ThrowsAsync<KmsException>(() => fixture.Audit.AppendAsync(Records(chain, 1, 3, "other"), null, publish: false, None));

        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task AppendAsync_OneBatch_IsOneBlock_ReadBackUnchanged()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var batch = Records(chain, 1, 98, "h");
        await fixture.Audit.AppendAsync(batch, null, publish: false, None);

        var rows = await RowKeysAsync(chain);
        var stored = await ReadChainAsync(chain);

        Assert.Equal([AuditBlocks.BlockKey(1)], rows);
        Assert.Equal(batch, stored, RecordComparer.Instance);
    }

    [Fact]
    public async Task AppendAsync_BatchLargerThanABlock_SplitsIntoBlocksOfOneTransaction()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        // Each record carries ~10 KB of context keys, so 98 of them (~1 MB) cannot fit one entity.
        var bulky = Enumerable.Range(0, 64).Select(i => $"context-key-{i:D3}-" + new string('k', 140)).ToArray();
        var batch = Records(chain, 1, 98, "h").Select(r => r with { Entry = r.Entry with { ContextKeys = bulky } }).ToList();
        await fixture.Audit.AppendAsync(batch, null, publish: false, None);

        var rows = await RowKeysAsync(chain);
        var stored = await ReadChainAsync(chain);

        Assert.True(rows.Count > 1, $"expected several blocks, found {rows.Count}");
        Assert.Equal(batch, stored, RecordComparer.Instance);
    }

    [Fact]
    public async Task QueryAsync_FiltersInsideBlocks_PagesWithContinuation_EveryMatchOnce()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var key = "key-" + Guid.NewGuid().ToString("N");
        var all = Records(chain, 1, 60, "h")
            .Select(r => r with { Entry = r.Entry with { KeyId = r.Sequence % 3 == 0 ? key : "other", Time = DateTimeOffset.UtcNow.AddMinutes(r.Sequence) } })
            .ToList();
        // Three group commits: the matches are spread over blocks and pages end inside blocks.
        await fixture.Audit.AppendAsync(all[..25], null, publish: false, None);
        await fixture.Audit.AppendAsync(all[25..26], null, publish: false, None);
        await fixture.Audit.AppendAsync(all[26..], null, publish: false, None);

        var found = new List<AuditRecord>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await fixture.Audit.QueryAsync(new AuditQuery(key, null, null, null, null, null), 3, token, None);
            Assert.True(page.Items.Count <= 3);
            found.AddRange(page.Items);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null && pages < 100);

        Assert.Equal(all.Where(r => r.Entry.KeyId == key).Select(r => r.Sequence), found.Select(r => r.Sequence));
        var from = all[29].Entry.Time;
        var to = all[35].Entry.Time;
        var window = await fixture.Audit.QueryAsync(new AuditQuery(key, null, null, null, from, to), 100, null, None);
        Assert.Equal([30L, 33L], window.Items.Select(r => r.Sequence));
    }

    [Fact]
    public async Task QueryAsync_ForeignContinuationToken_IsBadInput()
    {
        var error = await Assert.ThrowsAsync<KmsException>(() =>
            fixture.Audit.QueryAsync(new AuditQuery(null, null, null, null, null, null), 10, "bm90LWEtdG9rZW4", None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, error.Code);
    }

    [Fact]
    public async Task ReadChainAsync_ChainWrittenBeforeBlocks_IsStillRead()
    {
        var chain = "chain-" + Guid.NewGuid().ToString("N");
        var records = Records(chain, 1, 3, "h");
        foreach (var r in records)
        {
            // The one-entity-per-record layout of earlier versions.
            await fixture.Tables.Audit.AddEntityAsync(new Azure.Data.Tables.TableEntity(chain, AuditBlocks.LegacyRowKey(r.Sequence))
            {
                ["Sequence"] = r.Sequence, ["TimeTicks"] = r.Entry.Time.UtcTicks, ["Principal"] = r.Entry.Principal,
                ["Roles"] = "[\"kms.crypto\"]", ["Operation"] = r.Entry.Operation, ["KeyId"] = r.Entry.KeyId, ["KeyVersion"] = r.Entry.KeyVersion,
                ["Status"] = r.Entry.Status, ["RequestId"] = r.Entry.RequestId, ["ContextKeys"] = "[]", ["PreviousHash"] = r.PreviousHash, ["Hash"] = r.Hash,
            });
        }

        Assert.Equal(records, await ReadChainAsync(chain), RecordComparer.Instance);
    }

    private async Task<List<AuditRecord>> ReadChainAsync(string chain)
    {
        var stored = new List<AuditRecord>();
        await foreach (var record in fixture.Audit.ReadChainAsync(chain, None))
        {
            stored.Add(record);
        }

        return stored;
    }

    private async Task<List<string>> RowKeysAsync(string chain)
    {
        var keys = new List<string>();
        var filter = Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {chain}");
        await foreach (var row in fixture.Tables.Audit.QueryAsync<Azure.Data.Tables.TableEntity>(filter, select: ["RowKey"]))
        {
            keys.Add(row.RowKey);
        }

        return keys;
    }

    /// <summary>Field by field, lists by content: what verification hashes.</summary>
    private sealed class RecordComparer : IEqualityComparer<AuditRecord>
    {
        public static readonly RecordComparer Instance = new();

        public bool Equals(AuditRecord? x, AuditRecord? y) =>
            x is not null && y is not null && x.ChainId == y.ChainId && x.Sequence == y.Sequence && x.PreviousHash == y.PreviousHash && x.Hash == y.Hash &&
            AuditHashing.Hash(x.ChainId, x.Sequence, x.Entry, x.PreviousHash) == AuditHashing.Hash(y.ChainId, y.Sequence, y.Entry, y.PreviousHash);

        public int GetHashCode(AuditRecord obj) => HashCode.Combine(obj.ChainId, obj.Sequence);
    }

    private static List<AuditRecord> Records(string chain, int from, int to, string hashPrefix) =>
        Enumerable.Range(from, to - from + 1).Select(i => new AuditRecord(chain, i,
            new AuditEntry(DateTimeOffset.UnixEpoch.AddSeconds(i), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, []),
            hashPrefix + (i - 1), hashPrefix + i)).ToList();
}
