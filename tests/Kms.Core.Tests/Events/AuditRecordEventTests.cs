using System.Text.Json;
using Kms.Core.Audit;
using Kms.Core.Events;

namespace Kms.Core.Tests.Events;

public sealed class AuditRecordEventTests
{
    [Fact]
    public void ABatch_IsCutIntoEventsOfSixteen_WithIdsFromTheSequenceNumbers()
    {
        var records = Records("chain-a", first: 5, count: 40);

        var events = KmsEventFactory.AuditRecords(records);

        Assert.Equal(["audit-chain-a-5-20", "audit-chain-a-21-36", "audit-chain-a-37-44"], events.Select(e => e.Id));
        Assert.All(events, e => Assert.Equal(KmsEventTypes.AuditRecord, e.Type));
        Assert.All(events, e => Assert.Equal("/audit/chain-a", e.Subject));
        var data = JsonDocument.Parse(events[2].Data).RootElement;
        Assert.Equal(37, data.GetProperty("firstSequence").GetInt64());
        Assert.Equal(44, data.GetProperty("lastSequence").GetInt64());
        Assert.Equal(8, data.GetProperty("records").GetArrayLength());
        Assert.Equal("h36", data.GetProperty("records")[0].GetProperty("previousHash").GetString());
    }

    [Fact]
    public void TheSameBatch_AlwaysYieldsTheSameEvents()
    {
        var records = Records("c", 1, 20);

        var once = KmsEventFactory.AuditRecords(records);
        var again = KmsEventFactory.AuditRecords(records);

        Assert.Equal(once, again);
    }

    private static List<AuditRecord> Records(string chain, long first, int count) =>
        Enumerable.Range(0, count).Select(i =>
        {
            var seq = first + i;
            var entry = new AuditEntry(DateTimeOffset.UnixEpoch.AddSeconds(seq), "alice", ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null,
                "req" + seq, "127.0.0.1", ["tenant"]);
            return new AuditRecord(chain, seq, entry, "h" + (seq - 1), "h" + seq);
        }).ToList();
}
