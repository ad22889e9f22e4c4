using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>Why an event was dead-lettered (the blob's <c>deadLetterReason</c>).</summary>
internal static class DeadLetterReasons
{
    public const string MaxDeliveryAttemptsExceeded = nameof(MaxDeliveryAttemptsExceeded);

    public const string TimeToLiveExceeded = nameof(TimeToLiveExceeded);

    /// <summary>The subscriber answered 400 or 413: retrying the same bytes cannot succeed.</summary>
    public const string NonRetryableResponse = nameof(NonRetryableResponse);
}

/// <summary>
/// Writes dead letters as blobs "{subscription}/{yyyy}/{MM}/{dd}/{eventId}-{ticks}.json", shaped like Event Grid's:
/// the original event under "event" plus the delivery facts.
/// </summary>
internal sealed class DeadLetterWriter(BlobContainerClient container)
{
    /// <summary>Keeps blob names readable and valid whatever characters the publisher put in the event id.</summary>
    private const int MaxIdLength = 128;

    /// <summary>Uploads the dead letter and returns its blob name. The caller deletes the row only after this returns.</summary>
    public async Task<string> WriteAsync(DeliveryEntity row, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture,
            $"{row.PartitionKey}/{now:yyyy}/{now:MM}/{now:dd}/{SafeId(row.EventId)}-{now.UtcTicks}.json");
        // Overwrite: a retry after a failed row delete writes the same content under a new name anyway.
        await container.GetBlobClient(name).UploadAsync(BinaryData.FromBytes(Serialize(row, reason)), overwrite: true, cancellationToken)
            .ConfigureAwait(false);
        return name;
    }

    internal static byte[] Serialize(DeliveryEntity row, string reason)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WritePropertyName("event");
            // The event exactly as published, not a re-serialized copy.
            json.WriteRawValue(row.Event, skipInputValidation: true);
            json.WriteString("deadLetterReason", reason);
            json.WriteNumber("deliveryAttempts", row.DeliveryAttempts);
            json.WriteString("lastDeliveryOutcome", row.LastDeliveryOutcome ?? DeliveryOutcomes.None);
            if (row.LastHttpStatusCode is { } status)
            {
                json.WriteNumber("lastHttpStatusCode", status);
            }
            else
            {
                json.WriteNull("lastHttpStatusCode");
            }

            json.WriteString("publishTime", row.PublishTime.UtcDateTime);
            if (row.LastDeliveryAttemptTime is { } attempted)
            {
                json.WriteString("lastDeliveryAttemptTime", attempted.UtcDateTime);
            }
            else
            {
                json.WriteNull("lastDeliveryAttemptTime");
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string SafeId(string id)
    {
        var safe = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return safe.Length > MaxIdLength ? safe[..MaxIdLength] : safe.Length == 0 ? "_" : safe;
    }
}
