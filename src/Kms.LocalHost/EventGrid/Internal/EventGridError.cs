using System.Text.Json;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>
/// Error answers of the publish endpoint, shaped like Event Grid's (<c>{"error":{"code","message"}}</c>) so the
/// SDK reports them the same way. Written directly: the host's status-code pages never see an empty error.
/// </summary>
internal static class EventGridError
{
    public const string Unauthorized = nameof(Unauthorized);
    public const string BadRequest = nameof(BadRequest);
    public const string PayloadTooLarge = nameof(PayloadTooLarge);
    public const string ServiceUnavailable = nameof(ServiceUnavailable);

    public static async Task WriteAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(http.Response.Body);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("code", code);
        json.WriteString("message", message);
        json.WriteEndObject();
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }
}
