using Azure;
using Azure.Data.Tables;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Rewrap;

/// <summary>
/// Ciphertexts in a column of an Azure Table (base64 string or binary). Item ids are "{PartitionKey}/{RowKey}":
/// '/' cannot occur in either, so the split is unambiguous. Writes merge only that column, If-Match the read ETag.
/// </summary>
internal sealed class TableRewrapSource : IRewrapSource
{
    // The Table service's limit per entity-group transaction.
    private const int MaxTransactionActions = 100;
    // Partitions written at once: enough to overlap round trips, few enough not to flood the account.
    private const int ParallelWrites = 8;
    private readonly TableClient _table;
    private readonly RewrapSourceSpec _spec;

    public TableRewrapSource(TableClient table, RewrapSourceSpec spec)
    {
        _table = table;
        _spec = spec;
    }

    public async Task<RewrapPage> ReadPageAsync(string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in _table.QueryAsync<TableEntity>(_spec.Filter, maxPerPage: pageSize, cancellationToken: cancellationToken)
                .AsPages(continuation, pageSize).ConfigureAwait(false))
            {
                return new RewrapPage(page.Values.Select(ToItem).OfType<RewrapItem>().ToArray(),
                    string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }

            return new RewrapPage([], null);
        }
        catch (RequestFailedException e) when (e.Status is 400 or 404)
        {
            throw KmsErrors.Validation($"The source table cannot be read ({e.ErrorCode ?? e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}): " +
                "check the table name and filter.");
        }
    }

    public async Task<bool> WriteAsync(RewrapItem item, byte[] ciphertext, CancellationToken cancellationToken)
    {
        var patch = Patch(item, ciphertext);
        try
        {
            await _table.UpdateEntityAsync(patch, new ETag(item.ETag), TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Changed or deleted since it was read: never overwrite someone else's write.
            return false;
        }
    }

    /// <summary>
    /// Items of one partition go in entity-group transactions of up to 100 (each action If-Match its ETag); partitions
    /// are written side by side. A transaction fails whole when one item changed, so that chunk is written again item
    /// by item, which tells which ones changed.
    /// </summary>
    public async Task<IReadOnlyList<bool>> WriteManyAsync(IReadOnlyList<RewrapWrite> writes, CancellationToken cancellationToken)
    {
        var written = new bool[writes.Count];
        var chunks = Enumerable.Range(0, writes.Count)
            .GroupBy(i => Split(writes[i].Item.Id).PartitionKey, StringComparer.Ordinal)
            .SelectMany(partition => partition.Chunk(MaxTransactionActions));
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                if (chunk.Length > 1 && await TryWriteTogetherAsync(writes, chunk, ct).ConfigureAwait(false))
                {
                    foreach (var i in chunk)
                    {
                        written[i] = true;
                    }

                    return;
                }

                foreach (var i in chunk)
                {
                    written[i] = await WriteAsync(writes[i].Item, writes[i].Ciphertext, ct).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return written;
    }

    private async Task<bool> TryWriteTogetherAsync(IReadOnlyList<RewrapWrite> writes, int[] chunk, CancellationToken cancellationToken)
    {
        var actions = chunk.Select(i => new TableTransactionAction(TableTransactionActionType.UpdateMerge, Patch(writes[i].Item, writes[i].Ciphertext),
            new ETag(writes[i].Item.ETag)));
        try
        {
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    private TableEntity Patch(RewrapItem item, byte[] ciphertext)
    {
        var (partitionKey, rowKey) = Split(item.Id);
        return new TableEntity(partitionKey, rowKey) { [_spec.Column!] = item.Base64 ? Convert.ToBase64String(ciphertext) : ciphertext };
    }

    public async Task<RewrapItem?> ReadItemAsync(string id, CancellationToken cancellationToken)
    {
        var (partitionKey, rowKey) = Split(id);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? ToItem(response.Value!) : null;
    }

    public async Task<long?> CountAsync(CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var _ in _table.QueryAsync<TableEntity>(_spec.Filter, select: ["PartitionKey"], cancellationToken: cancellationToken)
            .ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    private RewrapItem? ToItem(TableEntity entity)
    {
        var id = entity.PartitionKey + "/" + entity.RowKey;
        var context = RewrapSources.Context(_spec.ContextColumn is null ? null : entity.GetString(_spec.ContextColumn));
        return entity.TryGetValue(_spec.Column!, out var value) switch
        {
            true when value is string text && TryBase64(text, out var bytes) => new RewrapItem(id, bytes, context, entity.ETag.ToString(), Base64: true),
            true when value is byte[] binary => new RewrapItem(id, binary, context, entity.ETag.ToString()),
            // No ciphertext in this entity (or not one the column could hold): nothing to rewrap.
            _ => null,
        };
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static (string PartitionKey, string RowKey) Split(string id)
    {
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? throw new ArgumentException("Not a table item id.", nameof(id)) : (id[..slash], id[(slash + 1)..]);
    }
}
