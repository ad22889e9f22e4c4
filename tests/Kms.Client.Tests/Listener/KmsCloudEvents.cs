using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Messaging;
using Kms.Core.Events;

namespace Kms.Client.Tests.Listener;

/// <summary>
/// CloudEvents shaped like the KMS's: the data are Kms.Core's own event data records serialized as the KMS does (web
/// defaults), the envelope is Azure.Messaging.CloudEvent as EventGridPublisherClient sends it.
/// </summary>
public static class KmsCloudEvents
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static CloudEvent KeyDisabled(string keyId) =>
        Create(KmsEventTypes.KeyDisabled, "/keys/" + keyId,
            new KeyEventData(keyId, "AES_256", "ENCRYPT_DECRYPT", "DISABLED", 2, null, "alice", "req-1"));

    public static CloudEvent VersionDisabled(string keyId, int version) =>
        Create(KmsEventTypes.KeyVersionDisabled, VersionSubject(keyId, version),
            new KeyVersionEventData(keyId, version, "DISABLED", version + 1, "alice", "req-2"));

    public static CloudEvent VersionRevoked(string keyId, int version) =>
        Create(KmsEventTypes.KeyVersionRevoked, VersionSubject(keyId, version),
            new KeyVersionRevokedEventData(keyId, version, "REVOKED", version, "exposed in a crash dump", $"revocation-{keyId}-1", "bob", "req-3"));

    public static CloudEvent VersionDestroyed(string keyId, int version) =>
        Create(KmsEventTypes.KeyDestroyed, VersionSubject(keyId, version),
            new KeyVersionEventData(keyId, version, "DESTROYED", version + 1, "approver", "req-4"));

    public static CloudEvent KeyCreated(string keyId) =>
        Create(KmsEventTypes.KeyCreated, "/keys/" + keyId, new KeyEventData(keyId, "AES_256", "ENCRYPT_DECRYPT", "ENABLED", 1, null, "alice", "req-5"));

    public static CloudEvent Create<T>(string type, string subject, T data, CloudEventDataFormat format = CloudEventDataFormat.Json) =>
        new("/kms", type, BinaryData.FromString(JsonSerializer.Serialize(data, Web)), "application/json", format)
        {
            Subject = subject,
            Time = DateTimeOffset.UtcNow,
        };

    public static string Json(CloudEvent cloudEvent) => JsonSerializer.Serialize(cloudEvent);

    public static string Json(params CloudEvent[] batch) => JsonSerializer.Serialize(batch);

    public static HttpContent Single(string json) => Content(json, "application/cloudevents+json; charset=utf-8");

    public static HttpContent Batch(string json) => Content(json, "application/cloudevents-batch+json; charset=utf-8");

    public static HttpContent Content(string body, string contentType)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static string VersionSubject(string keyId, int version) =>
        string.Create(CultureInfo.InvariantCulture, $"/keys/{keyId}/versions/{version}");
}
