using Kms.Core.Audit;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// The audit batches this process stored with an outbox row and has not yet published, kept in memory so the
/// dispatcher can publish them without reading them back.
/// <para>
/// Why: the outbox's audit path read each pass back from the table (the outbox rows of the chain, then the blocks of
/// their records), and on Azurite every query scans the whole table: at concurrency 16 those reads cost more than
/// the commits, and more the longer the service ran (docs/performance.md). The process that wrote a batch still holds
/// its records, so it publishes from those.
/// </para>
/// <para>
/// The outbox rows stay the truth; this is only a shortcut, taken for a chain while it is known to hold every pending
/// row of that chain. That is true for a chain whose first record this process stored (chains are per process) until
/// something makes it uncertain: a failed or uncertain append (a timed-out transaction may have committed), a failed
/// publish (the row now carries an attempt count and a retry time), or too large a backlog. From then on the chain is
/// read from the table, as a chain of another process or of an earlier run always is; it is never trusted again,
/// since a batch stored meanwhile could be missing here. Another dispatcher publishing the same rows from the table
/// only duplicates events, which delivery allows (subscribers de-duplicate on the event id).
/// </para>
/// </summary>
internal sealed class UnpublishedAuditBatches
{
    /// <summary>Records held for one chain before it falls back to the table: publishing is stuck or far behind.</summary>
    internal const int MaxRecordsPerChain = 50_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Backlog> _chains = new(StringComparer.Ordinal);

    /// <summary>One stored batch: its outbox row key, its records, and the row's enqueued time.</summary>
    internal sealed record Batch(string RowKey, IReadOnlyList<AuditRecord> Records, DateTimeOffset EnqueuedAt);

    /// <summary>Records a batch whose transaction (records and outbox row) committed.</summary>
    public void Stored(string chainId, Batch batch)
    {
        lock (_gate)
        {
            if (!_chains.TryGetValue(chainId, out var backlog))
            {
                // Only a chain that starts here can be complete here.
                backlog = new Backlog { Trusted = batch.Records.Count > 0 && batch.Records[0].Sequence == 1 };
                _chains.Add(chainId, backlog);
            }

            if (!backlog.Trusted)
            {
                return;
            }

            backlog.Batches.Add(batch);
            backlog.Records += batch.Records.Count;
            if (backlog.Records > MaxRecordsPerChain)
            {
                Forget(backlog);
            }
        }
    }

    /// <summary>From now on the chain's pending rows are read from the table.</summary>
    public void Distrust(string chainId)
    {
        lock (_gate)
        {
            if (_chains.TryGetValue(chainId, out var backlog))
            {
                Forget(backlog);
            }
            else
            {
                _chains.Add(chainId, new Backlog { Trusted = false });
            }
        }
    }

    /// <summary>
    /// The chain's oldest unpublished batches, at most <paramref name="max"/>, when this process knows them all; false
    /// when the table must be read instead.
    /// </summary>
    public bool TryRead(string chainId, int max, out IReadOnlyList<Batch> batches)
    {
        lock (_gate)
        {
            if (_chains.TryGetValue(chainId, out var backlog) && backlog.Trusted)
            {
                batches = backlog.Batches.Take(max).ToArray();
                return true;
            }
        }

        batches = [];
        return false;
    }

    /// <summary>Drops batches whose rows were deleted after publishing.</summary>
    public void Published(string chainId, IReadOnlyCollection<string> rowKeys)
    {
        lock (_gate)
        {
            if (_chains.TryGetValue(chainId, out var backlog) && backlog.Trusted)
            {
                var set = rowKeys as IReadOnlySet<string> ?? new HashSet<string>(rowKeys, StringComparer.Ordinal);
                backlog.Records -= backlog.Batches.Where(b => set.Contains(b.RowKey)).Sum(b => b.Records.Count);
                backlog.Batches.RemoveAll(b => set.Contains(b.RowKey));
            }
        }
    }

    private static void Forget(Backlog backlog)
    {
        backlog.Trusted = false;
        backlog.Batches.Clear();
        backlog.Records = 0;
    }

    private sealed class Backlog
    {
        public bool Trusted { get; set; }

        public List<Batch> Batches { get; } = [];

        public int Records { get; set; }
    }
}
