using Azure;
using Azure.Data.Tables;

namespace Kms.Cli.Drill;

/// <summary>
/// The drill's samples as an emergency revocation sees stored data: one row per sample in a table of its own, the
/// ciphertext (base64) in <see cref="CiphertextColumn"/> and its encryption context (JSON) in <see cref="ContextColumn"/>.
/// A revoked version can be opened only by the revocation's own rewrap campaigns (re-encrypt and decrypt are refused),
/// so the samples must sit where such a campaign reads: a table the KMS reaches through a named connection.
/// </summary>
internal sealed class DrillSampleTable
{
    public const string CiphertextColumn = "Ciphertext";
    public const string ContextColumn = "Context";
    private const string Partition = "drill";
    private const int TransactionSize = 100; // Azure Tables' limit per entity group transaction

    private readonly TableClient _table;

    private DrillSampleTable(TableClient table) => _table = table;

    public string Name => _table.Name;

    /// <summary>Creates the (new, empty) table. Table names are letters and digits, starting with a letter.</summary>
    public static async Task<DrillSampleTable> CreateAsync(string connectionString, string name, CancellationToken cancellationToken)
    {
        var table = new TableServiceClient(connectionString).GetTableClient(name);
        await table.CreateAsync(cancellationToken);
        return new DrillSampleTable(table);
    }

    public async Task StoreAsync(IReadOnlyList<(string RowKey, string Ciphertext)> rows, string contextJson, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(TransactionSize))
        {
            var actions = chunk.Select(r => new TableTransactionAction(TableTransactionActionType.Add,
                new TableEntity(Partition, r.RowKey) { [CiphertextColumn] = r.Ciphertext, [ContextColumn] = contextJson })).ToList();
            await _table.SubmitTransactionAsync(actions, cancellationToken);
        }
    }

    /// <summary>Row key → the ciphertext stored now (after the campaign: the rewrapped one).</summary>
    public async Task<Dictionary<string, string?>> ReadAsync(CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, string?>(StringComparer.Ordinal);
        await foreach (var row in _table.QueryAsync<TableEntity>(cancellationToken: cancellationToken))
        {
            rows[row.RowKey] = row.GetString(CiphertextColumn);
        }

        return rows;
    }

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _table.DeleteAsync(cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone.
        }
    }
}
