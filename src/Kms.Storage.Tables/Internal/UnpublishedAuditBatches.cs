using Kms.Core.Audit;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// The audit batches this process stored and has not yet published, kept in memory so the dispatcher publishes them
/// without reading them back, and moves the chain's published cursor (<see cref="AuditChains"/>) once they are out.
/// <para>
/// Why: on Azurite every query scans the whole table, and reading each pass back (the batches, then the blocks of their
/// records) cost more than the commits at concurrency 16 (docs/performance.md, fourth round). The process that wrote a
/// batch still holds its records. Since the sixth round a batch has no outbox row at all while it is held here: the
/// commit is the block alone, and a batch is "pending" because it lies after the chain's cursor.
/// </para>
/// <para>
/// A chain is handled here only while this process is known to hold every batch after its cursor. That is true for a
/// chain whose first record this process stored (chains are per process) until something makes it uncertain: a failed
/// or uncertain append (a timed-out insert may have stored the block), a failed publish, or too large a backlog. From
/// then on the chain is treated as a chain of another process or of an earlier run always is: its blocks after the
/// cursor are given outbox rows (<see cref="AuditChains.MaterializeAsync(string, DateTimeOffset, DateTimeOffset?, CancellationToken)"/>) and published from the table. It is never
/// trusted again, since a batch stored meanwhile could be missing here. A batch published both from here and from a
/// row only duplicates events, which delivery allows (subscribers de-duplicate on the event id).
/// </para>
/// </summary>
internal sealed class UnpublishedAuditBatches
{
    /// <summary>Records held for one chain before it falls back to the table: publishing is stuck or far behind.</summary>
    internal const int MaxRecordsPerChain = 50_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Backlog> _chains = new(StringComparer.Ordinal);

    /// <summary>One stored batch: the outbox row key it would have (its entries' key), its records, and when it was stored.</summary>
    internal sealed record Batch(string RowKey, IReadOnlyList<AuditRecord> Records, DateTimeOffset EnqueuedAt);

    /// <summary>Records a batch whose block is stored, in the chain's order (a chain's writer stores one batch at a time).</summary>
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

    /// <summary>True while the chain's pending batches are all held here (so the sweep leaves the chain to this process).</summary>
    public bool IsTrusted(string chainId)
    {
        lock (_gate)
        {
            return _chains.TryGetValue(chainId, out var backlog) && backlog.Trusted;
        }
    }

    /// <summary>True for a chain this process wrote (trusted or not): nobody else will publish its blocks any sooner.</summary>
    public bool IsOwn(string chainId)
    {
        lock (_gate)
        {
            return _chains.ContainsKey(chainId);
        }
    }

    /// <summary>
    /// Drops published batches and returns the sequence the chain's cursor may move to: every record up to it is
    /// published. Null when the chain is not trusted (its cursor is the sweep's business) or nothing moved.
    /// </summary>
    public long? Published(string chainId, IReadOnlyCollection<string> rowKeys)
    {
        lock (_gate)
        {
            if (!_chains.TryGetValue(chainId, out var backlog) || !backlog.Trusted)
            {
                return null;
            }

            var set = rowKeys as IReadOnlySet<string> ?? new HashSet<string>(rowKeys, StringComparer.Ordinal);
            var published = backlog.Batches.Where(b => set.Contains(b.RowKey)).ToList();
            if (published.Count == 0)
            {
                return null;
            }

            backlog.Records -= published.Sum(b => b.Records.Count);
            backlog.Batches.RemoveAll(b => set.Contains(b.RowKey));
            backlog.HighestPublished = Math.Max(backlog.HighestPublished, published.Max(b => b.Records[^1].Sequence));
            // Batches are held in order: the cursor may pass every record before the first batch still held (one
            // published out of order waits for the batches before it).
            var through = backlog.Batches.Count == 0
                ? backlog.HighestPublished
                : Math.Min(backlog.HighestPublished, backlog.Batches[0].Records[0].Sequence - 1);

            if (through <= backlog.PublishedThrough)
            {
                return null;
            }

            backlog.PublishedThrough = through;
            return through;
        }
    }

    /// <summary>The trusted chains with batches held, their count and the oldest one's time: the sweep's backlog figures.</summary>
    public IReadOnlyList<(string ChainId, int Batches, DateTimeOffset Oldest)> Pending()
    {
        lock (_gate)
        {
            return _chains.Where(c => c.Value.Trusted && c.Value.Batches.Count > 0)
                .Select(c => (c.Key, c.Value.Batches.Count, c.Value.Batches[0].EnqueuedAt)).ToList();
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

        /// <summary>The cursor this process last reported for the chain (its records start at 1).</summary>
        public long PublishedThrough { get; set; }

        /// <summary>The last record of the furthest batch published so far.</summary>
        public long HighestPublished { get; set; }
    }
}
