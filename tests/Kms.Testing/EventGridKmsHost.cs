using System.Net;
using System.Net.Sockets;
namespace Kms.Testing;

/// <summary>
/// A <see cref="KmsHostFixture"/> with events on, published to the host's own local Event Grid stand-in, which delivers
/// every KMS event (unless a type filter is given) to one webhook subscription. Retries are short so a test waits seconds, not minutes.
/// </summary>
public static class EventGridKmsHost
{
    private const string TopicKey = "test-topic-key-0123456789";

    /// <param name="subscriberEndpoint">The webhook URL, query string (e.g. the shared secret) included.</param>
    /// <param name="hostPort">The host's port, fixed before it starts because it publishes to its own topic.</param>
    /// <param name="subscriptionName">The subscription's name (the partition of its delivery and dead-letter rows).</param>
    /// <param name="includedEventTypes">The event types the subscription takes; none: every KMS event.</param>
    public static KmsHostFixture Create(Uri subscriberEndpoint, int hostPort, string subscriptionName = "client-listener",
        params string[] includedEventTypes)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kms:Events:Enabled"] = "true",
            ["Kms:Events:TopicEndpoint"] = $"http://127.0.0.1:{hostPort}/eventgrid/api/events",
            ["Kms:Events:TopicKey"] = TopicKey,
            ["Kms:Events:SweepInterval"] = "00:00:02",
            ["Kms:Events:RetryInitialDelay"] = "00:00:00.500",
            ["Kms:Events:RetryMaxDelay"] = "00:00:02",
            ["Kms:LocalEventGrid:Enabled"] = "true",
            ["Kms:LocalEventGrid:AccessKey"] = TopicKey,
            ["Kms:LocalEventGrid:RetryInitialDelay"] = "00:00:00.500",
            ["Kms:LocalEventGrid:RetryMaxDelay"] = "00:00:02",
            ["Kms:LocalEventGrid:PollInterval"] = "00:00:00.200",
            ["Kms:LocalEventGrid:Subscriptions:0:Name"] = subscriptionName,
            ["Kms:LocalEventGrid:Subscriptions:0:Endpoint"] = subscriberEndpoint.AbsoluteUri,
        };
        for (var i = 0; i < includedEventTypes.Length; i++)
        {
            settings[$"Kms:LocalEventGrid:Subscriptions:0:IncludedEventTypes:{i}"] = includedEventTypes[i];
        }

        return new KmsHostFixture(settings, hostPort);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
