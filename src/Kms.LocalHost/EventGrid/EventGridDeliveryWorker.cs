using Kms.LocalHost.EventGrid.Internal;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.EventGrid;

/// <summary>
/// Pushes stored events to their subscribers, one loop per subscription: first the webhook handshake, then every
/// due row, one event per POST. All delivery state is in the table, so a restarted worker simply resumes.
/// One stand-in instance is assumed: two instances on the same tables would both deliver the same rows
/// (duplicates, never losses).
/// </summary>
internal sealed class EventGridDeliveryWorker : BackgroundService
{
    /// <summary>Rows read per query; a full page means more may be due, so the loop goes again at once.</summary>
    private const int PageSize = 100;

    /// <summary>Concurrent deliveries per subscription, so one slow event does not hold up the others.</summary>
    private const int MaxConcurrentDeliveries = 8;

    private readonly LocalEventGridOptions _options;
    private readonly DeliveryStorage _storage;
    private readonly DeadLetterWriter _deadLetters;
    private readonly DeliverySignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<EventGridDeliveryWorker> _logger;
    private readonly HttpClient _http;
    private readonly WebhookClient _webhooks;

    public EventGridDeliveryWorker(IOptions<LocalEventGridOptions> options, DeliveryStorage storage, DeliverySignal signal, TimeProvider time,
        ILogger<EventGridDeliveryWorker> logger)
    {
        _options = options.Value;
        _storage = storage;
        _deadLetters = new DeadLetterWriter(storage.DeadLetters);
        _signal = signal;
        _time = time;
        _logger = logger;
        _http = WebhookClient.CreateHttpClient();
        _webhooks = new WebhookClient(_http, _options.DeliveryTimeout);
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(_options.Subscriptions.Select(s => Task.Run(() => RunSubscriptionAsync(s, stoppingToken), stoppingToken)));

    private async Task RunSubscriptionAsync(LocalEventGridSubscription subscription, CancellationToken stoppingToken)
    {
        // The handshake is redone after every start: cheap, and a subscriber that changed its mind is caught.
        var validated = false;
        var handshakeFailures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Taken before the query, so a publish during the pass still wakes the next wait.
                var published = _signal.Next();
                var wait = _options.PollInterval;
                var more = false;
                try
                {
                    if (!validated)
                    {
                        var handshake = await _webhooks.ValidateAsync(subscription.Endpoint!, stoppingToken).ConfigureAwait(false);
                        validated = handshake.Succeeded;
                        if (validated)
                        {
                            _logger.HandshakePassed(subscription.Name!);
                        }
                        else
                        {
                            // Events stay pending (no attempt counted) until the subscriber accepts them.
                            wait = RetrySchedule.DelayAfter(++handshakeFailures, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared);
                            _logger.HandshakeFailed(subscription.Name!, handshake.Outcome, handshake.StatusCode, wait);
                        }
                    }

                    if (validated)
                    {
                        more = await DeliverDueAsync(subscription, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Usually Azurite unreachable; rows stay as they are and the next pass tries again.
                    _logger.PassFailed(subscription.Name!, e);
                }

                if (!validated)
                {
                    // A publish does not cut a handshake backoff short: nothing can be delivered before it passes.
                    await Task.Delay(wait, _time, stoppingToken).ConfigureAwait(false);
                }
                else if (!more)
                {
                    await Task.WhenAny(published, Task.Delay(wait, _time, stoppingToken)).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: an interrupted delivery was not recorded, so it is retried after the next start.
        }
    }

    /// <summary>Delivers one page of due rows; true when the page was full (more may be due).</summary>
    private async Task<bool> DeliverDueAsync(LocalEventGridSubscription subscription, CancellationToken stoppingToken)
    {
        var due = await _storage.DueAsync(subscription.Name!, _time.GetUtcNow(), PageSize, stoppingToken).ConfigureAwait(false);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentDeliveries, CancellationToken = stoppingToken };
        await Parallel.ForEachAsync(due, parallel, async (row, token) => await DeliverAsync(subscription, row, token).ConfigureAwait(false))
            .ConfigureAwait(false);
        return due.Count == PageSize;
    }

    private async Task DeliverAsync(LocalEventGridSubscription subscription, DeliveryEntity row, CancellationToken stoppingToken)
    {
        var expires = row.PublishTime + _options.EventTimeToLive;
        var now = _time.GetUtcNow();
        if (now > expires)
        {
            // E.g. it waited out its lifetime behind a failing handshake.
            await DeadLetterAsync(row, DeadLetterReasons.TimeToLiveExceeded, stoppingToken).ConfigureAwait(false);
            return;
        }

        var result = await _webhooks.DeliverAsync(subscription.Endpoint!, row.Event, stoppingToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            await _storage.DeleteAsync(row, stoppingToken).ConfigureAwait(false);
            _logger.Delivered(row.EventId, row.EventType, row.PartitionKey, result.StatusCode);
            return;
        }

        row.DeliveryAttempts++;
        row.LastDeliveryOutcome = result.Outcome;
        row.LastHttpStatusCode = result.StatusCode;
        row.LastDeliveryAttemptTime = now;

        // 400 and 413 mean the subscriber will never take these bytes; Event Grid dead-letters them at once.
        if (result.StatusCode is StatusCodes.Status400BadRequest or StatusCodes.Status413PayloadTooLarge)
        {
            await DeadLetterAsync(row, DeadLetterReasons.NonRetryableResponse, stoppingToken).ConfigureAwait(false);
            return;
        }

        if (row.DeliveryAttempts >= _options.MaxDeliveryAttempts)
        {
            await DeadLetterAsync(row, DeadLetterReasons.MaxDeliveryAttemptsExceeded, stoppingToken).ConfigureAwait(false);
            return;
        }

        var delay = RetrySchedule.DelayAfter(row.DeliveryAttempts, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared);
        var next = _time.GetUtcNow() + delay;
        if (next > expires)
        {
            // The next try would come after the event's lifetime: Event Grid gives up now rather than later.
            await DeadLetterAsync(row, DeadLetterReasons.TimeToLiveExceeded, stoppingToken).ConfigureAwait(false);
            return;
        }

        row.NextAttemptAt = next;
        await _storage.UpdateAsync(row, stoppingToken).ConfigureAwait(false);
        _logger.DeliveryFailed(row.EventId, row.PartitionKey, result.Outcome, result.StatusCode, row.DeliveryAttempts, delay);
    }

    private async Task DeadLetterAsync(DeliveryEntity row, string reason, CancellationToken stoppingToken)
    {
        // The blob first, the row second: a crash in between leaves a duplicate dead letter, never a lost event.
        var blob = await _deadLetters.WriteAsync(row, reason, _time.GetUtcNow(), stoppingToken).ConfigureAwait(false);
        await _storage.DeleteAsync(row, stoppingToken).ConfigureAwait(false);
        _logger.DeadLettered(row.EventId, row.EventType, row.PartitionKey, reason, row.DeliveryAttempts, blob);
    }
}
