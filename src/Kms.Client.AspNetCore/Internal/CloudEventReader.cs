using System.Globalization;
using System.Text.Json;

namespace Kms.Client.AspNetCore.Internal;

/// <summary>A CloudEvent 1.0 as read from a delivery: the context attributes the listener uses and the data.</summary>
internal sealed record ReceivedCloudEvent(string Id, string Type, string Source, string? Subject, DateTimeOffset? Time, JsonElement? Data);

/// <summary>One event of a delivery that is not a valid CloudEvent 1.0; <see cref="Problem"/> never quotes its values.</summary>
internal sealed record UnreadableEvent(int Index, string Problem);

/// <summary>
/// Reads the CloudEvents JSON format (structured mode): one event, or a batch (a JSON array). Each event is checked on its
/// own, so one bad event in a batch does not hide the others.
/// </summary>
internal static class CloudEventReader
{
    public const string SpecVersion = "1.0";

    /// <summary>False when the body is not JSON of the expected shape at all.</summary>
    public static bool TryRead(ReadOnlyMemory<byte> body, bool batch, List<ReceivedCloudEvent> events, List<UnreadableEvent> unreadable,
        out string? problem)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            problem = "The body is not JSON.";
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (batch)
            {
                if (root.ValueKind != JsonValueKind.Array)
                {
                    problem = "A batch (application/cloudevents-batch+json) is a JSON array of events.";
                    return false;
                }

                var index = 0;
                foreach (var element in root.EnumerateArray())
                {
                    ReadOne(element, index++, events, unreadable);
                }
            }
            else
            {
                if (root.ValueKind != JsonValueKind.Object)
                {
                    problem = "A single event (application/cloudevents+json) is a JSON object.";
                    return false;
                }

                ReadOne(root, 0, events, unreadable);
            }
        }

        problem = null;
        return true;
    }

    private static void ReadOne(JsonElement element, int index, List<ReceivedCloudEvent> events, List<UnreadableEvent> unreadable)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            unreadable.Add(new(index, "is not a JSON object"));
            return;
        }

        if (RequiredString(element, "specversion") != SpecVersion)
        {
            unreadable.Add(new(index, "has no specversion 1.0"));
            return;
        }

        if (RequiredString(element, "id") is not { } id
            || RequiredString(element, "source") is not { } source
            || RequiredString(element, "type") is not { } type)
        {
            unreadable.Add(new(index, "lacks one of the required attributes id, source, type"));
            return;
        }

        string? subject = null;
        if (element.TryGetProperty("subject", out var subjectElement) && subjectElement.ValueKind != JsonValueKind.Null)
        {
            if (subjectElement.ValueKind != JsonValueKind.String)
            {
                unreadable.Add(new(index, "has a subject that is not a string"));
                return;
            }

            subject = subjectElement.GetString();
        }

        DateTimeOffset? time = null;
        if (element.TryGetProperty("time", out var timeElement) && timeElement.ValueKind != JsonValueKind.Null)
        {
            if (timeElement.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(timeElement.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
            {
                unreadable.Add(new(index, "has a time that is not an RFC 3339 timestamp"));
                return;
            }

            time = parsed;
        }

        if (!TryReadData(element, out var data))
        {
            unreadable.Add(new(index, "has data_base64 that is not base64"));
            return;
        }

        events.Add(new(id, type, source, subject, time, data));
    }

    private static string? RequiredString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : null;

    /// <summary>
    /// <c>data</c> as JSON; <c>data_base64</c> (how binary data travels) is decoded and read as JSON when it is JSON, since a
    /// publisher may encode a JSON payload that way. Anything else leaves the data empty; whether that matters depends on the type.
    /// </summary>
    private static bool TryReadData(JsonElement element, out JsonElement? data)
    {
        data = null;
        if (element.TryGetProperty("data", out var inline))
        {
            data = inline.Clone();
            return true;
        }

        if (element.TryGetProperty("data_base64", out var encoded) && encoded.ValueKind == JsonValueKind.String)
        {
            if (!encoded.TryGetBytesFromBase64(out var bytes))
            {
                return false;
            }

            try
            {
                using var decoded = JsonDocument.Parse(bytes);
                data = decoded.RootElement.Clone();
            }
            catch (JsonException)
            {
                // Binary data that is not JSON: nothing the listener can read keys from.
            }
        }

        return true;
    }
}
