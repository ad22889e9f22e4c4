using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kms.Client.AspNetCore.Internal;

/// <summary>
/// The webhook behind <c>MapKmsEvents</c>: the CloudEvents validation handshake (OPTIONS) and deliveries (POST). A delivery
/// is answered 200 only after every cache evicted and every handler ran, because 2xx tells the topic the event is done.
/// </summary>
internal sealed class KmsEventsEndpoint
{
    public const string RequestOriginHeader = "WebHook-Request-Origin";
    public const string AllowedOriginHeader = "WebHook-Allowed-Origin";
    public const string RequestRateHeader = "WebHook-Request-Rate";
    public const string AllowedRateHeader = "WebHook-Allowed-Rate";
    public const string SingleMediaType = "application/cloudevents+json";
    public const string BatchMediaType = "application/cloudevents-batch+json";

    private readonly KmsEventsOptions _options;
    private readonly SharedSecretCheck _secret;
    private readonly RecentEventIds _recent;
    private readonly ILogger _logger;

    public KmsEventsEndpoint(IOptions<KmsEventsOptions> options, ILogger<KmsEventsEndpoint> logger)
    {
        _options = options.Value;
        _secret = new SharedSecretCheck(_options);
        _recent = new RecentEventIds(_options.DeduplicationCapacity);
        _logger = logger;
    }

    public Task HandleAsync(HttpContext http) =>
        HttpMethods.IsOptions(http.Request.Method) ? HandshakeAsync(http) : ReceiveAsync(http);

    /// <summary>
    /// Abuse protection (CloudEvents HTTP webhook spec, which Event Grid follows for CloudEvents subscriptions): the sender asks
    /// before it pushes anything. No secret is required here: agreeing to receive grants a caller nothing, and Event Grid does
    /// not promise to send delivery-property headers with the handshake.
    /// </summary>
    private Task HandshakeAsync(HttpContext http)
    {
        var origin = http.Request.Headers[RequestOriginHeader].ToString();
        if (string.IsNullOrWhiteSpace(origin))
        {
            _logger.HandshakeRefused("no WebHook-Request-Origin");
            return ProblemAsync(http, StatusCodes.Status400BadRequest, "Missing WebHook-Request-Origin",
                "A validation request names its origin in WebHook-Request-Origin.");
        }

        if (_options.AllowedOrigins.Count > 0 && !_options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            _logger.HandshakeRefused("origin not allowed");
            return ProblemAsync(http, StatusCodes.Status403Forbidden, "Origin not allowed", "This webhook does not accept events from that origin.");
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.Headers[AllowedOriginHeader] = origin;
        // The spec requires WebHook-Allowed-Rate when the request asked with WebHook-Request-Rate; sending it always is allowed.
        http.Response.Headers[AllowedRateHeader] = _options.AllowedRate is { } rate ? rate.ToString(CultureInfo.InvariantCulture) : "*";
        http.Response.Headers.Allow = HttpMethods.Post;
        _logger.HandshakeAnswered(origin);
        return Task.CompletedTask;
    }

    private async Task ReceiveAsync(HttpContext http)
    {
        if (!_secret.Accepts(http.Request))
        {
            _logger.SecretRejected();
            await ProblemAsync(http, StatusCodes.Status401Unauthorized, "Secret required",
                "The delivery does not carry a valid shared secret.");
            return;
        }

        if (!TryGetMode(http.Request, out var batch))
        {
            _logger.Rejected("unsupported content type");
            await ProblemAsync(http, StatusCodes.Status415UnsupportedMediaType, "Unsupported content type",
                $"Send CloudEvents in structured mode: {SingleMediaType} or {BatchMediaType}.");
            return;
        }

        var body = await BoundedBody.ReadAsync(http.Request, _options.MaxBodyBytes, http.RequestAborted);
        if (body is null)
        {
            _logger.Rejected("body too large");
            await ProblemAsync(http, StatusCodes.Status413PayloadTooLarge, "Body too large",
                $"This webhook accepts at most {_options.MaxBodyBytes} bytes per delivery.");
            return;
        }

        var events = new List<ReceivedCloudEvent>();
        var unreadable = new List<UnreadableEvent>();
        if (!CloudEventReader.TryRead(body.Value, batch, events, unreadable, out var bodyProblem))
        {
            _logger.Rejected(bodyProblem!);
            await ProblemAsync(http, StatusCodes.Status400BadRequest, "Malformed CloudEvents", bodyProblem!);
            return;
        }

        var orders = new List<(ReceivedCloudEvent Event, EvictionOrder Order)>();
        for (var i = 0; i < events.Count; i++)
        {
            if (KmsEventClassifier.TryClassify(events[i], out var order, out var problem))
            {
                orders.Add((events[i], order));
            }
            else
            {
                unreadable.Add(new(i, problem!));
            }
        }

        // Act on every event that can be read even when others cannot: evicting is always safe, and the 400 below makes the
        // topic dead-letter the delivery for an operator rather than retry it forever.
        var invalidators = http.RequestServices.GetServices<IKmsKeyCacheInvalidator>().ToArray();
        var handlers = http.RequestServices.GetServices<IKmsEventHandler>().ToArray();
        var failed = false;
        foreach (var (received, order) in orders)
        {
            failed |= !Evict(invalidators, received, order);
        }

        foreach (var (received, order) in orders)
        {
            failed |= !await NotifyAsync(handlers, received, order, http.RequestAborted);
        }

        if (failed)
        {
            await ProblemAsync(http, StatusCodes.Status500InternalServerError, "Event handling failed",
                "The events could not all be handled; deliver them again.");
            return;
        }

        if (unreadable.Count > 0)
        {
            var detail = string.Join("; ", unreadable.OrderBy(u => u.Index).Select(u => $"event {u.Index} {u.Problem}"));
            _logger.Rejected(detail);
            await ProblemAsync(http, StatusCodes.Status400BadRequest, "Malformed CloudEvents", detail);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    private bool Evict(IKmsKeyCacheInvalidator[] invalidators, ReceivedCloudEvent received, EvictionOrder order)
    {
        if (order.Eviction == KmsCacheEviction.None)
        {
            _logger.Ignored(received.Id, received.Type);
            return true;
        }

        if (invalidators.Length == 0)
        {
            _logger.NoCaches(received.Id, received.Type, order.KeyId);
            return true;
        }

        try
        {
            if (order.Eviction == KmsCacheEviction.Key)
            {
                CacheInvalidation.EvictKey(invalidators, order.KeyId!);
            }
            else
            {
                CacheInvalidation.EvictKeyVersion(invalidators, order.KeyId!, order.Version!.Value);
            }

            _logger.Evicted(received.Id, received.Type, order.Eviction, order.KeyId, order.Version, invalidators.Length);
            return true;
        }
        catch (AggregateException e)
        {
            _logger.EvictionFailed(e, received.Id, received.Type, order.KeyId, order.Version);
            return false;
        }
    }

    private async Task<bool> NotifyAsync(IKmsEventHandler[] handlers, ReceivedCloudEvent received, EvictionOrder order, CancellationToken cancellationToken)
    {
        // CloudEvents ids are unique per source, not globally.
        var dedupKey = received.Source + "\n" + received.Id;
        if (handlers.Length == 0 || _recent.Contains(dedupKey))
        {
            return true;
        }

        var kmsEvent = new KmsKeyEvent(received.Id, received.Type, received.Source, received.Subject, received.Time, order.KeyId,
            order.Version, order.Eviction, received.Data);
        foreach (var handler in handlers)
        {
            try
            {
                await handler.HandleAsync(kmsEvent, cancellationToken);
            }
#pragma warning disable CA1031 // An app handler can throw anything; the topic's retry is the remedy.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.HandlerFailed(e, received.Id, received.Type);
                return false;
            }
        }

        _recent.Remember(dedupKey);
        return true;
    }

    private static bool TryGetMode(HttpRequest request, out bool batch)
    {
        batch = false;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
        {
            return false;
        }

        if (contentType.MediaType.Equals(SingleMediaType, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        batch = contentType.MediaType.Equals(BatchMediaType, StringComparison.OrdinalIgnoreCase);
        return batch;
    }

    private static Task ProblemAsync(HttpContext http, int status, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title).ExecuteAsync(http);
}
