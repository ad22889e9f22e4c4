using System.Text.Json;
using Kms.Core;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kms.Api.Http;

/// <summary>Reads a JSON request body with a size limit, turning every kind of bad body into a KmsException.</summary>
public sealed class RequestBody
{
    /// <summary>The first buffer for a body without Content-Length (chunked); it doubles as needed.</summary>
    internal const int InitialChunkedSize = 16 * 1024;

    private readonly long _maxBytes;

    public RequestBody(IOptions<KmsOptions> options) => _maxBytes = options.Value.MaxRequestBodyBytes;

    /// <summary>
    /// The body of a route whose body is optional: <paramref name="empty"/> when the request has none (no Content-Length
    /// and no chunked body, or a length of 0); a chunked body is read like any other.
    /// </summary>
    public async Task<T> ReadOptionalAsync<T>(HttpRequest request, T empty, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        return hasBody ? await ReadAsync<T>(request, cancellationToken) : empty;
    }

    public async Task<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        using var buffer = await ReadBytesAsync(request, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize<T>(buffer.Span, KmsJson.Options)
                ?? throw KmsErrors.MalformedRequest("The request body must be a JSON object, not null.");
        }
        catch (JsonException e)
        {
            // The path names the field; the serializer's message is not echoed because it can quote input.
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at '{e.Path}'";
            throw KmsErrors.MalformedRequest($"The request body is not valid JSON for this operation{where}: check field names and types.");
        }
    }

    /// <summary>The JSON body as text, for documents validated by their own parser (key policies).</summary>
    public async Task<string> ReadJsonTextAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = await ReadBytesAsync(request, cancellationToken);
        return System.Text.Encoding.UTF8.GetString(buffer.Span);
    }

    /// <summary>The body in a pooled buffer (the caller disposes it, which zeroes it), refused past the size limit.</summary>
    private async Task<PooledBodyBuffer> ReadBytesAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!IsJson(request.ContentType))
        {
            throw KmsErrors.UnsupportedMediaType();
        }

        if (request.ContentLength > _maxBytes)
        {
            throw KmsErrors.PayloadTooLarge("The request body", _maxBytes);
        }

        // One byte more than the limit is enough to notice a body over it; a declared length gets room for the final
        // zero-length read so a body of exactly that length needs no second buffer.
        var bufferCap = (int)Math.Min(_maxBytes + 1, Array.MaxLength);
        var buffer = new PooledBodyBuffer((int)Math.Min(request.ContentLength + 1 ?? InitialChunkedSize, bufferCap));
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.FreeSpace(bufferCap), cancellationToken)) > 0)
            {
                if (buffer.Length + (long)read > _maxBytes)
                {
                    throw KmsErrors.PayloadTooLarge("The request body", _maxBytes);
                }

                buffer.Advance(read);
            }

            return buffer.Length > 0 ? buffer : throw KmsErrors.MalformedRequest("The request body is empty; a JSON object is required.");
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.Split(';', 2)[0].Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
