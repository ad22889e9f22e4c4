using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Azure.Messaging;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>Why a batch was refused: the HTTP status and the Event Grid style error.</summary>
internal sealed record BatchRejection(int Status, string Code, string Message);

/// <summary>
/// Reads and checks a CloudEvents 1.0 batch as EventGridPublisherClient sends it, keeping each event's JSON bytes
/// exactly as received so subscribers get what the publisher sent.
/// </summary>
internal static class CloudEventBatchReader
{
    public const string BatchMediaType = "application/cloudevents-batch+json";

    /// <summary>Event Grid's limit for one publish request.</summary>
    public const int MaxBatchBytes = 1024 * 1024;

    /// <summary>
    /// Each event is stored in a Table binary property until delivered, and those hold at most 64 KiB
    /// (Event Grid itself accepts up to 1 MB per event).
    /// </summary>
    public const int MaxEventBytes = 64 * 1024;

    public static BatchRejection? CheckContentType(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType, BatchMediaType, StringComparison.OrdinalIgnoreCase)
            ? null
            : new BatchRejection(StatusCodes.Status400BadRequest, EventGridError.BadRequest,
                $"The content type must be {BatchMediaType} (a JSON array of CloudEvents 1.0).");

    /// <summary>Reads the body up to the batch limit; null when it is larger.</summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBatchBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBatchBytes)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Parses and validates the batch; either events or a rejection.</summary>
    public static (IReadOnlyList<PublishedEvent> Events, BatchRejection? Rejection) Parse(byte[] body)
    {
        IReadOnlyList<CloudEvent> parsed;
        try
        {
            parsed = CloudEvent.ParseMany(BinaryData.FromBytes(body), skipValidation: false);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            // The parser's message names the missing or bad attribute; it never echoes event data.
            return ([], Bad($"The body is not a valid CloudEvents 1.0 batch: {e.Message}"));
        }

        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            return ([], Bad("The body must be a JSON array of CloudEvents."));
        }

        if (parsed.Count == 0 || parsed.Count != document.RootElement.GetArrayLength())
        {
            return ([], Bad("The batch must hold at least one event, and only events."));
        }

        var events = new List<PublishedEvent>(parsed.Count);
        var index = 0;
        foreach (var element in document.RootElement.EnumerateArray())
        {
            var cloudEvent = parsed[index++];
            var json = JsonMarshal.GetRawUtf8Value(element);
            if (json.Length > MaxEventBytes)
            {
                return ([], new BatchRejection(StatusCodes.Status413PayloadTooLarge, EventGridError.PayloadTooLarge,
                    $"Event {cloudEvent.Id} is {json.Length} bytes; the local Event Grid accepts at most {MaxEventBytes} bytes per event."));
            }

            events.Add(new PublishedEvent(cloudEvent.Id, cloudEvent.Type, cloudEvent.Subject, json.ToArray()));
        }

        return (events, null);
    }

    private static BatchRejection Bad(string message) => new(StatusCodes.Status400BadRequest, EventGridError.BadRequest, message);
}
