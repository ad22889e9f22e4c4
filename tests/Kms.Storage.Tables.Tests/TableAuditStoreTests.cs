using Kms.Core.Audit;
using Kms.Core.Errors;

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

    private static List<AuditRecord> Records(string chain, int from, int to, string hashPrefix) =>
        Enumerable.Range(from, to - from + 1).Select(i => new AuditRecord(chain, i,
            new AuditEntry(DateTimeOffset.UnixEpoch.AddSeconds(i), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, []),
            hashPrefix + (i - 1), hashPrefix + i)).ToList();
}
