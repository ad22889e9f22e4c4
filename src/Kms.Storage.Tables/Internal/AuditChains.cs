using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// The list of audit chains (partition "~chains" of the audit table, one row per chain) and, for a chain whose records
/// are published as events, its <b>published cursor</b>: the sequence number through which every stored record is
/// either published or has an outbox row.
/// <para>
/// Why a cursor instead of an outbox row per batch: the audit commit is on every request's path. With the row, each
/// commit is a two-entity transaction (a multipart request and response in the Azure SDK, the same in the store) and
/// each published batch one more delete. With the cursor the commit is a single-entity insert of the block, and the
/// writer moves the cursor once per publish pass (docs/performance.md, sixth round).
/// </para>
/// <para>
/// The invariant: every record after the cursor is stored in a block and is either still held in memory by the
/// instance that wrote it (<see cref="UnpublishedAuditBatches"/>, which publishes it and then moves the cursor) or not
/// yet handled, and then <see cref="MaterializeAsync"/> turns its blocks into ordinary outbox rows <i>before</i> moving
/// the cursor past them. So a crash anywhere leaves records either after the cursor (found again) or with a row (the
/// outbox's at-least-once delivery); it may publish a batch twice, never zero times.
/// </para>
/// Layout: PartitionKey "~chains", RowKey = chain id; PublishedThrough (Int64) on chains written with events on. A
/// chain without it (events off, or written before the cursor existed with an outbox row per batch) is never
/// materialized.
/// </summary>
internal sealed class AuditChains
{
    public const string Partition = "~chains";
    private const string PublishedThrough = nameof(PublishedThrough);
    private static readonly string[] BlockSelect = ["RowKey", "FirstSequence", "LastSequence", "LastTicks"];

    private readonly TableClient _table;

    // The ETag and cursor this process last wrote per chain, so moving its own chain's cursor is one conditional update.
    private readonly ConcurrentDictionary<string, (long Through, ETag ETag)> _written = new(StringComparer.Ordinal);

    public AuditChains(KmsTables tables) => _table = tables.Audit;

    /// <summary>A chain's row and cursor as stored; <see cref="PublishedThroughSequence"/> is null when it has none.</summary>
    public sealed record Chain(string Id, long? PublishedThroughSequence, ETag ETag);

    /// <summary>
    /// Adds the chain's row unless it exists, with a cursor at <paramref name="publishedThrough"/> when its records are
    /// published. An existing row is left alone: its cursor may be ahead, and moving it back only repeats events, while
    /// moving it forward here could skip records that were never published.
    /// </summary>
    public async Task RegisterAsync(string chainId, long? publishedThrough, CancellationToken cancellationToken)
    {
        var row = new TableEntity(Partition, chainId);
        if (publishedThrough is { } through)
        {
            row[PublishedThrough] = through;
        }

        try
        {
            var added = await _table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            if (publishedThrough is { } written && added.Headers.ETag is { } etag)
            {
                _written[chainId] = (written, etag);
            }
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
        }
    }

    public async Task<IReadOnlyList<Chain>> ListAsync(CancellationToken cancellationToken)
    {
        var chains = new List<Chain>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"),
            select: ["RowKey", PublishedThrough], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            chains.Add(ToChain(row));
        }

        return chains;
    }

    /// <summary>
    /// Moves the chain's cursor forward to <paramref name="through"/> (never back: a cursor already further stays).
    /// Conditional on the row's ETag, so two writers cannot move it back between them.
    /// </summary>
    public async Task AdvanceAsync(string chainId, long through, CancellationToken cancellationToken)
    {
        ETag? etag = _written.TryGetValue(chainId, out var known) ? known.ETag : null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (etag is null)
            {
                var stored = await ReadAsync(chainId, cancellationToken).ConfigureAwait(false);
                if (stored?.PublishedThroughSequence is not { } current || current >= through)
                {
                    return;
                }

                etag = stored.ETag;
            }

            try
            {
                var response = await _table.UpdateEntityAsync(new TableEntity(Partition, chainId) { [PublishedThrough] = through }, etag.Value,
                    TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                if (response.Headers.ETag is { } written)
                {
                    _written[chainId] = (through, written);
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Another writer moved it (the sweep of another instance): read it again and move it only if still behind.
                _written.TryRemove(chainId, out _);
                etag = null;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Gives the chain's stored blocks after its cursor, up to the first one with a record newer than
    /// <paramref name="cutoff"/>, an outbox row each, then moves the cursor past them. Returns how many rows it wrote.
    /// Rows are merged, so a row that already exists keeps its attempt count; a batch published meanwhile by its writer
    /// gets a row all the same and is published twice.
    /// </summary>
    public async Task<int> MaterializeAsync(string chainId, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var chain = await ReadAsync(chainId, cancellationToken).ConfigureAwait(false);
        if (chain?.PublishedThroughSequence is not { } through)
        {
            return 0;
        }

        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {chainId} and RowKey ge {AuditBlocks.BlockKey(through + 1)} and RowKey lt {AuditBlocks.BlockEnd}");
        await foreach (var block in _table.QueryAsync<TableEntity>(filter, select: BlockSelect, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var lastTicks = block.GetInt64("LastTicks") ?? 0;
            if (lastTicks > cutoff.UtcTicks)
            {
                // Its writer may still be publishing it; the cursor stays contiguous, so stop here.
                break;
            }

            rows.Add(OutboxRows.AuditBatch(chainId, block.GetInt64("FirstSequence") ?? 0, block.GetInt64("LastSequence") ?? 0,
                new DateTimeOffset(lastTicks, TimeSpan.Zero)));
        }

        if (rows.Count == 0)
        {
            return 0;
        }

        foreach (var chunk in rows.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertMerge, r)),
                cancellationToken).ConfigureAwait(false);
        }

        _written[chainId] = (through, chain.ETag);
        await AdvanceAsync(chainId, rows[^1].GetInt64(OutboxRows.LastSequence) ?? through, cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private async Task<Chain?> ReadAsync(string chainId, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, chainId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToChain(row.Value!) : null;
    }

    private static Chain ToChain(TableEntity row) => new(row.RowKey, row.GetInt64(PublishedThrough), row.ETag);
}
