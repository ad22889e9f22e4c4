using System.Collections.Concurrent;
using System.Text.Json;
using Azure.Messaging;

namespace Kms.Samples.RevocationSubscriber;

/// <summary>
/// The webhook an Event Grid subscription (or the local stand-in topic) pushes KMS events to. It answers the
/// CloudEvents abuse-protection handshake, de-duplicates on the event id (delivery is at least once) and applies
/// KeyDisabled, KeyVersionDisabled and KeyVersionRevoked to the <see cref="DataKeyCache"/>.
/// </summary>
public sealed class RevocationWebhook
{
    private readonly DataKeyCache _cache;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private int _duplicates;

    private readonly ILogger? _logger;

    public RevocationWebhook(DataKeyCache cache, ILogger<RevocationWebhook>? logger = null)
    {
        _cache = cache;
        _logger = logger;
    }

    /// <summary>Every event received and handled, de-duplicated, in arrival order (for the sample's log and for tests).</summary>
    public ConcurrentQueue<CloudEvent> Received { get; } = new();

    /// <summary>Deliveries that repeated an event id already handled.</summary>
    public int Duplicates => _duplicates;

    public void Map(IEndpointRouteBuilder endpoints, string path)
    {
        // Abuse protection (CloudEvents webhook spec): the topic asks before it sends anything; allow it by echoing the origin.
        endpoints.MapMethods(path, [HttpMethods.Options], (HttpContext http) =>
        {
            var origin = http.Request.Headers["WebHook-Request-Origin"].ToString();
            if (string.IsNullOrEmpty(origin))
            {
                return Results.BadRequest();
            }

            http.Response.Headers["WebHook-Allowed-Origin"] = origin;
            return Results.Ok();
        });
        endpoints.MapPost(path, async (HttpRequest request) =>
        {
            CloudEvent[] events;
            try
            {
                // One event (application/cloudevents+json) or a batch (application/cloudevents-batch+json).
                events = CloudEvent.ParseMany(await BinaryData.FromStreamAsync(request.Body, request.HttpContext.RequestAborted));
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                // 400 tells the topic not to retry: this body will never parse.
                return Results.BadRequest();
            }

            foreach (var e in events)
            {
                Handle(e);
            }

            return Results.Ok();
        });
    }

    public void Handle(CloudEvent e)
    {
        if (!_seen.TryAdd(e.Id, DateTimeOffset.UtcNow))
        {
            Interlocked.Increment(ref _duplicates);
            return;
        }

        _logger?.LogInformation("Received {Type} {Subject} (id {Id}); {Cached} data keys cached before handling it", e.Type, e.Subject, e.Id, _cache.Count);
        switch (e.Type)
        {
            case "Kms.KeyDisabled":
            case "Kms.KeyDeletionScheduled":
                _cache.DropKey(KeyId(e));
                break;
            case "Kms.KeyVersionDisabled":
            case "Kms.KeyVersionRevoked":
                _cache.DropVersion(KeyId(e), Data(e).GetProperty("version").GetInt32());
                break;
            case "Kms.KeyEnabled":
                _cache.Unblock(KeyId(e));
                break;
        }

        // Recorded once handled, so whoever watches Received sees the cache as the event left it.
        Received.Enqueue(e);
    }

    // Deserialize (not JsonDocument.Parse) gives an element that owns its memory: nothing to dispose.
    private static JsonElement Data(CloudEvent e) => JsonSerializer.Deserialize<JsonElement>((e.Data ?? BinaryData.FromString("{}")).ToMemory().Span);

    private static string KeyId(CloudEvent e) => Data(e).GetProperty("keyId").GetString()!;
}
