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
/// yet handled, and then <see cref="MaterializeAsync(string, DateTimeOffset, DateTimeOffset?, CancellationToken)"/> turns its blocks into ordinary outbox rows <i>before</i> moving
/// the cursor past them. So a crash anywhere leaves records either after the cursor (found again) or with a row (the
/// outbox's at-least-once delivery); it may publish a batch twice, never zero times.
/// </para>
/// <para>
/// <b>Closing.</b> Every sweep looks after the cursor of every open chain (a range query each), and every process start
/// adds a chain. So a chain whose records are all published and whose row has not changed for
/// <see cref="CloseIdleAfter"/> is marked closed by another process's sweep, and sweeps skip it. Its writer, if it
/// still lives, reopens it before it appends after an idle half that long (<see cref="ReopenAsync"/>): a chain is
/// only closed when its last append is older than <see cref="CloseIdleAfter"/> (the row changes when its records are
/// published, after they were stored), and the close is conditional on the row it looked at, so a reopen in between
/// wins.
/// </para>
/// Layout: PartitionKey "~chains", RowKey = chain id; PublishedThrough (Int64) on chains written with events on, and
/// Closed (Boolean) once closed. A chain without PublishedThrough (events off, or written before the cursor existed
/// with an outbox row per batch) is never materialized.
/// </summary>
internal sealed class AuditChains
{
    public const string Partition = "~chains";
    private const string PublishedThrough = nameof(PublishedThrough);
    private const string Closed = nameof(Closed);
    private static readonly string[] BlockSelect = ["RowKey", "FirstSequence", "LastSequence", "LastTicks"];

    private readonly TableClient _table;

    // The ETag of each chain row as this process last wrote or read it, so moving its own chain's cursor is one
    // conditional update.
    private readonly ConcurrentDictionary<string, ETag> _etags = new(StringComparer.Ordinal);

    /// <param name="closeIdleAfter">The default of an hour, or shorter in tests.</param>
    public AuditChains(KmsTables tables, TimeSpan? closeIdleAfter = null)
    {
        _table = tables.Audit;
        CloseIdleAfter = closeIdleAfter ?? TimeSpan.FromHours(1);
    }

    /// <summary>How long a fully published chain's row stays unchanged before another process's sweep closes it.</summary>
    public TimeSpan CloseIdleAfter { get; }

    /// <summary>
    /// A chain's row and cursor as stored; <see cref="PublishedThroughSequence"/> is null when it has none.
    /// <see cref="LastWritten"/> is the row's Timestamp (set by the store on every write).
    /// </summary>
    public sealed record Chain(string Id, long? PublishedThroughSequence, bool IsClosed, DateTimeOffset? LastWritten, ETag ETag);

    /// <summary>
    /// Adds the chain's row unless it exists, with a cursor at <paramref name="publishedThrough"/> when its records are
    /// published. An existing row keeps its cursor (it may be ahead, and moving it back only repeats events, while
    /// moving it forward here could skip records that were never published) and is only reopened.
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
            if (publishedThrough is not null && added.Headers.ETag is { } etag)
            {
                _etags[chainId] = etag;
            }
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Registered again after a failed append: the chain may have been closed while this writer was idle.
            if (publishedThrough is not null)
            {
                await ReopenAsync(chainId, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<IReadOnlyList<Chain>> ListAsync(CancellationToken cancellationToken)
    {
        var chains = new List<Chain>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"),
            select: ["RowKey", "Timestamp", PublishedThrough, Closed], cancellationToken: cancellationToken).ConfigureAwait(false))
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
        ETag? etag = _etags.TryGetValue(chainId, out var known) ? known : null;
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
                    _etags[chainId] = written;
                }

                return;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
                // Another writer moved it (the sweep of another instance): read it again and move it only if still behind.
                _etags.TryRemove(chainId, out _);
                etag = null;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return;
            }
        }
    }

    /// <summary>Marks the chain open again (its writer, before it appends after a long idle time). A missing row is left missing.</summary>
    public async Task ReopenAsync(string chainId, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _table.UpdateEntityAsync(new TableEntity(Partition, chainId) { [Closed] = false }, ETag.All, TableUpdateMode.Merge,
                cancellationToken).ConfigureAwait(false);
            if (_etags.ContainsKey(chainId) && response.Headers.ETag is { } etag)
            {
                _etags[chainId] = etag;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    /// <summary>
    /// For a chain this process wrote and will not publish from memory any more (a publish of it failed, or its writer
    /// stopped): forgets the batches held for it, then gives every block after its cursor a row and moves the cursor.
    /// </summary>
    public async Task HandOverAsync(string chainId, UnpublishedAuditBatches unpublished, CancellationToken cancellationToken)
    {
        unpublished.Distrust(chainId);
        await MaterializeAsync(chainId, DateTimeOffset.MaxValue, closeUnchangedSince: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gives the chain's stored blocks after its cursor, up to the first one with a record newer than
    /// <paramref name="cutoff"/>, an outbox row each, then moves the cursor past them. Returns how many rows it wrote.
    /// Rows are merged, so a row that already exists keeps its attempt count; a batch published meanwhile by its writer
    /// gets a row all the same and is published twice. With <paramref name="closeUnchangedSince"/>, a chain with nothing
    /// after its cursor whose row was last written before then is closed (see the class remarks).
    /// </summary>
    public async Task<int> MaterializeAsync(string chainId, DateTimeOffset cutoff, DateTimeOffset? closeUnchangedSince,
        CancellationToken cancellationToken) =>
        await ReadAsync(chainId, cancellationToken).ConfigureAwait(false) is { } chain
            ? await MaterializeAsync(chain, cutoff, closeUnchangedSince, cancellationToken).ConfigureAwait(false)
            : 0;

    /// <summary>
    /// <see cref="MaterializeAsync(string, DateTimeOffset, DateTimeOffset?, CancellationToken)"/> on a chain row already
    /// read (the sweep's list). A row that changed since only costs a conditional write that loses, or a repeated event.
    /// </summary>
    public async Task<int> MaterializeAsync(Chain chain, DateTimeOffset cutoff, DateTimeOffset? closeUnchangedSince,
        CancellationToken cancellationToken)
    {
        var chainId = chain.Id;
        if (chain.PublishedThroughSequence is not { } through)
        {
            return 0;
        }

        var rows = new List<TableEntity>();
        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {chainId} and RowKey ge {AuditBlocks.BlockKey(through + 1)} and RowKey lt {AuditBlocks.BlockEnd}");
        var after = false;
        await foreach (var block in _table.QueryAsync<TableEntity>(filter, select: BlockSelect, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            after = true;
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
            if (!after && closeUnchangedSince is { } since && chain.LastWritten < since && !chain.IsClosed)
            {
                await CloseAsync(chain, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }

        foreach (var chunk in rows.Chunk(100))
        {
            await _table.SubmitTransactionAsync(chunk.Select(r => new TableTransactionAction(TableTransactionActionType.UpsertMerge, r)),
                cancellationToken).ConfigureAwait(false);
        }

        _etags[chainId] = chain.ETag;
        await AdvanceAsync(chainId, rows[^1].GetInt64(OutboxRows.LastSequence) ?? through, cancellationToken).ConfigureAwait(false);
        return rows.Count;
    }

    private async Task CloseAsync(Chain chain, CancellationToken cancellationToken)
    {
        try
        {
            // Conditional on the row looked at: a reopen or a cursor move since then keeps it open.
            await _table.UpdateEntityAsync(new TableEntity(Partition, chain.Id) { [Closed] = true }, chain.ETag, TableUpdateMode.Merge, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
        }
    }

    private async Task<Chain?> ReadAsync(string chainId, CancellationToken cancellationToken)
    {
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(Partition, chainId, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToChain(row.Value!) : null;
    }

    private static Chain ToChain(TableEntity row) => new(row.RowKey, row.GetInt64(PublishedThrough), row.GetBoolean(Closed) == true, row.Timestamp, row.ETag);
}
