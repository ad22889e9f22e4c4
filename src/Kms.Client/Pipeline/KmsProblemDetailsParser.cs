using System.Text.Json;
using Azure;
using Azure.Core;

namespace Kms.Client.Pipeline;

/// <summary>
/// Reads the KMS's RFC 9457 problem document so <see cref="RequestFailedException.ErrorCode"/> is its stable <c>code</c>
/// and the message carries its title and detail (the server never puts key material or plaintext there). The request
/// id and problem type are added as the message's additional information, for support.
/// </summary>
internal sealed class KmsProblemDetailsParser : RequestFailedDetailsParser
{
    public override bool TryParse(Response response, out ResponseError? error, out IDictionary<string, string>? data)
    {
        error = null;
        data = null;
        if (response.ContentStream is null || response.Content is null)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(response.Content.ToMemory());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("code", out var codeElement) || codeElement.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            var title = Text(root, "title");
            var detail = Text(root, "detail");
            var message = (title, detail) switch
            {
                ({ } t, { } d) => $"{t}: {d}",
                ({ } t, null) => t,
                (null, { } d) => d,
                _ => "The KMS refused the request.",
            };
            error = new ResponseError(codeElement.GetString(), message);
            data = new Dictionary<string, string>();
            if (Text(root, "requestId") is { } requestId)
            {
                data["requestId"] = requestId;
            }

            if (Text(root, "type") is { } type)
            {
                data["type"] = type;
            }

            return true;
        }
        catch (JsonException)
        {
            // Not a problem document (e.g. a proxy's HTML page): Azure.Core's default message applies.
            return false;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
