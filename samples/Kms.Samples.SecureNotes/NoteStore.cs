using Azure.Data.Tables;

namespace Kms.Samples.SecureNotes;

/// <summary>A stored note: the title in clear, the body as an envelope message (ciphertext only).</summary>
public sealed record StoredNote(string Id, string Title, byte[] EncryptedBody, DateTimeOffset CreatedAt);

/// <summary>
/// Notes in one Azure Table: partition = tenant, row key = note id, <c>Title</c> (string, not secret),
/// <c>Body</c> (binary: the envelope message of the body), <c>CreatedAt</c>.
/// </summary>
public sealed class NoteStore(TableClient table)
{
    public const string TitleProperty = "Title";
    public const string BodyProperty = "Body";
    public const string CreatedAtProperty = "CreatedAt";

    public TableClient Table { get; } = table;

    public Task EnsureTableAsync(CancellationToken cancellationToken) => Table.CreateIfNotExistsAsync(cancellationToken);

    public async Task AddAsync(string tenant, StoredNote note, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(tenant, note.Id)
        {
            [TitleProperty] = note.Title,
            [BodyProperty] = note.EncryptedBody,
            [CreatedAtProperty] = note.CreatedAt,
        };
        await Table.AddEntityAsync(entity, cancellationToken);
    }

    public async Task<StoredNote?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(tenant, id, cancellationToken: cancellationToken);
        return response.HasValue ? ToNote(response.Value!) : null;
    }

    public async Task<IReadOnlyList<(string Id, string Title, DateTimeOffset CreatedAt)>> ListAsync(string tenant, int max, CancellationToken cancellationToken)
    {
        var result = new List<(string, string, DateTimeOffset)>();
        // Only the clear columns: listing never reads the encrypted bodies.
        var query = Table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {tenant}"),
            select: ["RowKey", TitleProperty, CreatedAtProperty], cancellationToken: cancellationToken);
        await foreach (var entity in query)
        {
            result.Add((entity.RowKey, entity.GetString(TitleProperty) ?? "", entity.GetDateTimeOffset(CreatedAtProperty) ?? default));
            if (result.Count == max)
            {
                break;
            }
        }

        return result;
    }

    private static StoredNote ToNote(TableEntity entity) => new(
        entity.RowKey,
        entity.GetString(TitleProperty) ?? "",
        entity.GetBinary(BodyProperty) ?? throw new InvalidDataException("The stored note has no body."),
        entity.GetDateTimeOffset(CreatedAtProperty) ?? default);
}
