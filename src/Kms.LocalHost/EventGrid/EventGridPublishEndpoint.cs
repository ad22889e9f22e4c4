using System.Security.Cryptography;
using System.Text;
using Kms.LocalHost.EventGrid.Internal;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.EventGrid;

/// <summary>
/// The topic's publish endpoint: what EventGridPublisherClient.SendEventsAsync(IEnumerable&lt;CloudEvent&gt;) sends
/// is checked, stored as one delivery row per matching subscription and event, and only then acknowledged, so a
/// 200 means the events survive a restart.
/// </summary>
internal sealed class EventGridPublishEndpoint
{
    /// <summary>Outside /api: the /api routes are exactly the Functions app's, and this one is local only.</summary>
    public const string Path = "/eventgrid/api/events";

    public const string KeyHeader = "aeg-sas-key";

    private readonly LocalEventGridOptions _options;
    private readonly DeliveryStorage _storage;
    private readonly DeliverySignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<EventGridPublishEndpoint> _logger;
    private readonly byte[] _keyHash;

    public EventGridPublishEndpoint(IOptions<LocalEventGridOptions> options, DeliveryStorage storage, DeliverySignal signal, TimeProvider time,
        ILogger<EventGridPublishEndpoint> logger)
    {
        _options = options.Value;
        _storage = storage;
        _signal = signal;
        _time = time;
        _logger = logger;
        _keyHash = Hash(_options.AccessKey ?? "");
    }

    public async Task HandleAsync(HttpContext http)
    {
        var rejection = Authorize(http.Request) ?? CloudEventBatchReader.CheckContentType(http.Request.ContentType);
        if (rejection is not null)
        {
            await RejectAsync(http, rejection).ConfigureAwait(false);
            return;
        }

        // The host's own body limit is for the KMS API; this endpoint enforces Event Grid's instead.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeLimit)
        {
            sizeLimit.MaxRequestBodySize = CloudEventBatchReader.MaxBatchBytes + 1;
        }

        byte[]? body;
        try
        {
            body = await CloudEventBatchReader.ReadBodyAsync(http.Request, http.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            body = null;
        }

        if (body is null)
        {
            await RejectAsync(http, new BatchRejection(StatusCodes.Status413PayloadTooLarge, EventGridError.PayloadTooLarge,
                $"The batch is larger than {CloudEventBatchReader.MaxBatchBytes} bytes.")).ConfigureAwait(false);
            return;
        }

        var (events, invalid) = CloudEventBatchReader.Parse(body);
        if (invalid is not null)
        {
            await RejectAsync(http, invalid).ConfigureAwait(false);
            return;
        }

        var now = _time.GetUtcNow();
        var rows = new List<DeliveryEntity>();
        foreach (var published in events)
        {
            var before = rows.Count;
            // Events no subscription wants are dropped, as Event Grid does.
            rows.AddRange(_options.Subscriptions.Where(s => s.Matches(published.Type, published.Subject))
                .Select(s => DeliveryEntity.Create(s.Name!, published, now)));
            _logger.EventAccepted(published.Id, published.Type, published.Subject, rows.Count - before);
        }

        try
        {
            await _storage.AddAsync(rows, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or TimeoutException)
        {
            // Nothing acknowledged: the publisher retries the batch (rows already written may then be delivered twice,
            // which at-least-once delivery allows).
            _logger.StoreFailed(e);
            await RejectAsync(http, new BatchRejection(StatusCodes.Status503ServiceUnavailable, EventGridError.ServiceUnavailable,
                "The events could not be stored; retry later.")).ConfigureAwait(false);
            return;
        }

        if (rows.Count > 0)
        {
            _signal.Notify();
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
    }

    private BatchRejection? Authorize(HttpRequest request)
    {
        var presented = request.Headers[KeyHeader];
        // Hashing first makes the comparison constant-time whatever the lengths of the two keys.
        return presented.Count == 1 && CryptographicOperations.FixedTimeEquals(Hash(presented[0] ?? ""), _keyHash)
            ? null
            : new BatchRejection(StatusCodes.Status401Unauthorized, EventGridError.Unauthorized,
                $"The request must carry the topic's access key in the {KeyHeader} header.");
    }

    private Task RejectAsync(HttpContext http, BatchRejection rejection)
    {
        _logger.PublishRejected(rejection.Code, rejection.Status);
        return EventGridError.WriteAsync(http, rejection.Status, rejection.Code, rejection.Message);
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
