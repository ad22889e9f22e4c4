using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>
/// Serves the OpenAPI document from docs/openapi.json (embedded at build) for hosts without a live generator.
/// Kms.LocalHost generates it live; a test keeps the two equal.
/// </summary>
public sealed class OpenApiHandler
{
    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(OpenApiHandler).Assembly.GetManifestResourceStream("Kms.Api.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static ReadOnlyMemory<byte> EmbeddedDocument => Document.Value;

    public Task<IResult> GetAsync(HttpContext http, CancellationToken cancellationToken) =>
        Task.FromResult(Results.Bytes(Document.Value, "application/json;charset=utf-8"));
}
