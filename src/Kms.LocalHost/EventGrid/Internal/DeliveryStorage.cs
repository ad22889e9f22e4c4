using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>
/// Where the stand-in keeps its state in Azurite: pending deliveries in the table "{prefix}egdeliveries" and
/// dead letters in the container "{prefix}-eventgrid-deadletter". Everything lives there (nothing only in memory),
/// so a restarted stand-in resumes every undelivered event.
/// </summary>
internal sealed class DeliveryStorage
{
    /// <summary>Table transactions hold at most 100 entities.</summary>
    private const int MaxTransactionSize = 100;

    private DeliveryStorage(TableClient deliveries, BlobContainerClient deadLetters)
    {
        Deliveries = deliveries;
        DeadLetters = deadLetters;
    }

    public TableClient Deliveries { get; }

    public BlobContainerClient DeadLetters { get; }

    /// <summary>Clients for the Kms:Storage settings; throws with a message naming the setting when they cannot work.</summary>
    public static DeliveryStorage Create(string? connectionString, string? tablePrefix)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "The local Event Grid stores its deliveries in Azurite: set Kms:Storage:ConnectionString (a managed identity endpoint is not supported here).");
        }

        var prefix = string.IsNullOrEmpty(tablePrefix) ? "kms" : tablePrefix;
        var tableName = prefix + "egdeliveries";
        var containerName = (prefix + "-eventgrid-deadletter").ToLowerInvariant();
        if (!char.IsAsciiLetter(prefix[0]) || !prefix.All(char.IsAsciiLetterOrDigit) || tableName.Length > 63 || containerName.Length > 63)
        {
            throw new InvalidOperationException(
                $"Kms:Storage:TablePrefix must be ASCII letters and digits starting with a letter, at most {63 - "-eventgrid-deadletter".Length} " +
                "characters for the local Event Grid (its dead-letter container name is '{prefix}-eventgrid-deadletter', at most 63 characters).");
        }

        return new DeliveryStorage(new TableClient(connectionString, tableName), new BlobContainerClient(connectionString, containerName));
    }

    /// <summary>Creates the table and the container when missing; safe to call repeatedly.</summary>
    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        await Deliveries.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        await DeadLetters.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores the rows durably before the publisher hears 200; one transaction per subscription and 100 rows.</summary>
    public async Task AddAsync(IReadOnlyList<DeliveryEntity> rows, CancellationToken cancellationToken)
    {
        foreach (var partition in rows.GroupBy(r => r.PartitionKey))
        {
            foreach (var chunk in partition.Chunk(MaxTransactionSize))
            {
                var actions = chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Add, r));
                await Deliveries.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The first page (oldest first) of rows of <paramref name="subscription"/> that are due at <paramref name="now"/>.</summary>
    public async Task<IReadOnlyList<DeliveryEntity>> DueAsync(string subscription, DateTimeOffset now, int max, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {subscription} and NextAttemptAt le {now}");
        var rows = new List<DeliveryEntity>(max);
        await foreach (var row in Deliveries.QueryAsync<DeliveryEntity>(filter, max, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
            if (rows.Count == max)
            {
                break;
            }
        }

        return rows;
    }

    /// <summary>Records a failed attempt; false when the row changed or went meanwhile (nothing to do then).</summary>
    public async Task<bool> UpdateAsync(DeliveryEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await Deliveries.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>Removes a delivered or dead-lettered row; a row already gone is fine.</summary>
    public async Task DeleteAsync(DeliveryEntity row, CancellationToken cancellationToken)
    {
        try
        {
            await Deliveries.DeleteEntityAsync(row.PartitionKey, row.RowKey, row.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // 412: updated meanwhile; the newer copy is handled on its own turn.
        }
    }
}
