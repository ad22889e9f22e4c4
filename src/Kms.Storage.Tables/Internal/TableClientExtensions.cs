using Azure;
using Azure.Data.Tables;
using Kms.Core.Events;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables.Internal;

/// <summary>The row operations every store performs: a point read, an ETag-conditional update, a change with its events.</summary>
internal static class TableClientExtensions
{
    /// <summary>Reads one row and maps it; null when it does not exist.</summary>
    public static async Task<T?> ReadRowAsync<T>(this TableClient table, string partitionKey, string rowKey, Func<TableEntity, T> map,
        CancellationToken cancellationToken) where T : class
    {
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? map(response.Value!) : null;
    }

    /// <summary>
    /// Writes <paramref name="entity"/> only if the stored row still has <paramref name="etag"/>; returns the new
    /// ETag. A lost race (412, 409, or 404 when the row vanished since it was read) becomes ConcurrentModification
    /// naming <paramref name="what"/>; nothing is written.
    /// </summary>
    public static async Task<string?> UpdateIfMatchAsync(this TableClient table, ITableEntity entity, ETag etag, TableUpdateMode mode,
        ILogger logger, string operation, string target, string what, CancellationToken cancellationToken)
    {
        try
        {
            var response = await table.UpdateEntityAsync(entity, etag, mode, cancellationToken).ConfigureAwait(false);
            return response.Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw logger.LostRace(operation, target, e.Status, what);
        }
    }

    /// <summary>
    /// Submits a change and the outbox rows of its <paramref name="events"/> as one entity-group transaction (all in
    /// <paramref name="partitionKey"/>): both are stored or neither. Then tells the dispatcher. Returns the responses
    /// of <paramref name="change"/>'s actions, in order.
    /// </summary>
    public static async Task<IReadOnlyList<Response>> SubmitWithEventsAsync(this TableClient table, string partitionKey,
        IReadOnlyList<TableTransactionAction> change, IReadOnlyList<KmsEvent> events, OutboxSignal? signal, CancellationToken cancellationToken)
    {
        var actions = events.Count == 0 ? change : [.. change, .. OutboxRows.Adds(partitionKey, events)];
        var response = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
        if (events.Count > 0)
        {
            signal?.Notify(new OutboxPartition(OutboxPartition.KeysStream, partitionKey));
        }

        return response.Value;
    }
}
