using Kms.Core.Crypto;

namespace Kms.Core.Ports;

/// <summary>
/// Where a rewrap campaign finds stored ciphertexts: an Azure Table (a column of each entity) or a Blob container
/// (a metadata entry, or the body). <see cref="Connection"/> names a connection string in settings
/// (<c>Kms:Rewrap:Connections:{name}</c>), never the secret itself, so it can sit in orchestration history.
/// </summary>
/// <param name="Type"><c>table</c> or <c>blob</c>.</param>
/// <param name="Filter">Table: an OData filter selecting the entities.</param>
/// <param name="ContextColumn">Table: a string column holding each item's encryption context as a JSON object.</param>
/// <param name="MetadataName">Blob: the metadata entry holding the ciphertext (base64); the body when null.</param>
public sealed record RewrapSourceSpec(
    string Type,
    string Connection,
    string? Table = null,
    string? Column = null,
    string? Filter = null,
    string? ContextColumn = null,
    string? Container = null,
    string? Prefix = null,
    string? MetadataName = null)
{
    public const string TableType = "table";
    public const string BlobType = "blob";
}

/// <summary>One stored ciphertext, with the concurrency token it was read with.</summary>
/// <param name="Base64">Stored as base64 text (a string column or a metadata entry) rather than bytes; written back the same way.</param>
public sealed record RewrapItem(string Id, ReadOnlyMemory<byte> Ciphertext, EncryptionContext Context, string ETag, bool Base64 = false);

/// <summary>A new ciphertext for an item, written only if the item still has the ETag it was read with.</summary>
public sealed record RewrapWrite(RewrapItem Item, byte[] Ciphertext);

public sealed record RewrapPage(IReadOnlyList<RewrapItem> Items, string? Continuation);

/// <summary>Reads stored ciphertexts page by page and writes new ones back, only if the item did not change meanwhile.</summary>
public interface IRewrapSource
{
    Task<RewrapPage> ReadPageAsync(string? continuation, int pageSize, CancellationToken cancellationToken);

    /// <summary>Writes the new ciphertext if the item still has the ETag it was read with; false when it changed.</summary>
    Task<bool> WriteAsync(RewrapItem item, byte[] ciphertext, CancellationToken cancellationToken);

    /// <summary>
    /// Writes several items, each only if it still has the ETag it was read with; answers, in order, whether each was
    /// written. Sources override it to batch or overlap the writes (a page is a hundred round trips otherwise).
    /// </summary>
    async Task<IReadOnlyList<bool>> WriteManyAsync(IReadOnlyList<RewrapWrite> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writes);
        var written = new bool[writes.Count];
        for (var i = 0; i < writes.Count; i++)
        {
            written[i] = await WriteAsync(writes[i].Item, writes[i].Ciphertext, cancellationToken).ConfigureAwait(false);
        }

        return written;
    }

    /// <summary>Reads one item again (after a lost race); null when it is gone.</summary>
    Task<RewrapItem?> ReadItemAsync(string id, CancellationToken cancellationToken);

    /// <summary>How many items the source holds, when it can tell cheaply enough; null otherwise.</summary>
    Task<long?> CountAsync(CancellationToken cancellationToken);
}

/// <summary>Opens sources from their specs; rejects unknown connections and incomplete specs with ValidationFailed.</summary>
public interface IRewrapSources
{
    void Validate(RewrapSourceSpec spec);

    IRewrapSource Open(RewrapSourceSpec spec);
}
