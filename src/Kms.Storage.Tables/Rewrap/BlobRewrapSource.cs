using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Rewrap;

/// <summary>
/// Ciphertexts in a Blob container: in a metadata entry (base64) when <see cref="RewrapSourceSpec.MetadataName"/> is set,
/// else the blob's body. Writes are conditional on the ETag read; a body rewrite keeps the blob's metadata and
/// content type.
/// </summary>
internal sealed class BlobRewrapSource : IRewrapSource
{
    // Blobs written at once: enough to overlap round trips, few enough not to flood the account.
    private const int ParallelWrites = 8;
    private readonly BlobContainerClient _container;
    private readonly RewrapSourceSpec _spec;

    public BlobRewrapSource(BlobContainerClient container, RewrapSourceSpec spec)
    {
        _container = container;
        _spec = spec;
    }

    public async Task<RewrapPage> ReadPageAsync(string? continuation, int pageSize, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var page in _container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, _spec.Prefix, cancellationToken)
                .AsPages(continuation, pageSize).ConfigureAwait(false))
            {
                var items = new List<RewrapItem>();
                foreach (var blob in page.Values)
                {
                    if (await ToItemAsync(blob.Name, blob.Metadata, blob.Properties.ETag, cancellationToken).ConfigureAwait(false) is { } item)
                    {
                        items.Add(item);
                    }
                }

                // Blob listings end with an empty token rather than null.
                return new RewrapPage(items, string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }

            return new RewrapPage([], null);
        }
        catch (RequestFailedException e) when (e.Status is 400 or 404)
        {
            throw KmsErrors.Validation("The source container cannot be read: check its name.");
        }
    }

    /// <summary>Blobs have no multi-blob transaction: the writes (each conditional) overlap instead.</summary>
    public async Task<IReadOnlyList<bool>> WriteManyAsync(IReadOnlyList<RewrapWrite> writes, CancellationToken cancellationToken)
    {
        var written = new bool[writes.Count];
        await Parallel.ForAsync(0, writes.Count, new ParallelOptions { MaxDegreeOfParallelism = ParallelWrites, CancellationToken = cancellationToken },
            async (i, ct) => written[i] = await WriteAsync(writes[i].Item, writes[i].Ciphertext, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return written;
    }

    public async Task<bool> WriteAsync(RewrapItem item, byte[] ciphertext, CancellationToken cancellationToken)
    {
        var blob = _container.GetBlobClient(item.Id);
        var condition = new BlobRequestConditions { IfMatch = new ETag(item.ETag) };
        try
        {
            var properties = (await blob.GetPropertiesAsync(condition, cancellationToken).ConfigureAwait(false)).Value;
            if (_spec.MetadataName is { } name)
            {
                var metadata = new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase) { [name] = Convert.ToBase64String(ciphertext) };
                await blob.SetMetadataAsync(metadata, condition, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await blob.UploadAsync(BinaryData.FromBytes(ciphertext), new BlobUploadOptions
                {
                    Conditions = condition,
                    Metadata = properties.Metadata,
                    HttpHeaders = new BlobHttpHeaders { ContentType = properties.ContentType },
                }, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    public async Task<RewrapItem?> ReadItemAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await _container.GetBlobClient(id).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return await ToItemAsync(id, properties.Metadata, properties.ETag, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<long?> CountAsync(CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (var _ in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _spec.Prefix, cancellationToken).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    private async Task<RewrapItem?> ToItemAsync(string name, IDictionary<string, string> metadata, ETag? etag, CancellationToken cancellationToken)
    {
        var context = RewrapSources.Context(_spec.ContextColumn is { } key && metadata.TryGetValue(key, out var json) ? json : null);
        if (_spec.MetadataName is { } entry)
        {
            if (!metadata.TryGetValue(entry, out var text))
            {
                return null;
            }

            try
            {
                return new RewrapItem(name, Convert.FromBase64String(text), context, etag.ToString() ?? "", Base64: true);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        // The body is the ciphertext: read it with the ETag it had, so the write-back is conditional on that version.
        var download = (await _container.GetBlobClient(name).DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
        return new RewrapItem(name, download.Content.ToMemory(), context, download.Details.ETag.ToString());
    }
}
