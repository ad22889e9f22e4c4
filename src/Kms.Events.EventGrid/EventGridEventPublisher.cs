using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Messaging;
using Azure.Messaging.EventGrid;
using Kms.Core.Events;

namespace Kms.Events.EventGrid;

/// <summary>Sends events to the topic; throws when the topic did not accept them all.</summary>
internal interface IEventPublisher
{
    Task PublishAsync(IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken);
}

/// <summary>
/// Publishes as CloudEvents 1.0 (one batch per call, content type application/cloudevents-batch+json) with
/// EventGridPublisherClient: to an Event Grid topic in Azure, to the stand-in topic locally.
/// </summary>
internal sealed class EventGridEventPublisher : IEventPublisher
{
    private readonly EventGridPublisherClient _client;
    private readonly string _source;

    public EventGridEventPublisher(EventGridOptions options, Func<TokenCredential>? credential = null)
    {
        _client = CreateClient(options, credential ?? (() => new DefaultAzureCredential()));
        _source = options.Source;
    }

    /// <summary>
    /// The topic's key wins when one is configured; else the token of <paramref name="credential"/> (in Azure the
    /// managed identity with "EventGrid Data Sender" on the topic), created only on that path.
    /// </summary>
    internal static EventGridPublisherClient CreateClient(EventGridOptions options, Func<TokenCredential> credential)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(credential);
        options.Validate();
        var clientOptions = new EventGridPublisherClientOptions();
        // The dispatcher retries with its own backoff and keeps failed rows; a short SDK retry only rides out blips.
        clientOptions.Retry.MaxRetries = 1;
        clientOptions.Retry.Mode = RetryMode.Fixed;
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.NetworkTimeout = options.PublishTimeout;
        return string.IsNullOrEmpty(options.TopicKey)
            ? new EventGridPublisherClient(options.TopicEndpoint, credential(), clientOptions)
            : new EventGridPublisherClient(options.TopicEndpoint, new AzureKeyCredential(options.TopicKey), clientOptions);
    }

    public async Task PublishAsync(IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return;
        }

        await _client.SendEventsAsync(events.Select(ToCloudEvent), cancellationToken).ConfigureAwait(false);
    }

    internal CloudEvent ToCloudEvent(KmsEvent e) =>
        new(_source, e.Type, BinaryData.FromString(e.Data), "application/json")
        {
            Id = e.Id,
            Subject = e.Subject,
            Time = e.Time,
        };
}
