namespace Kms.Events.EventGrid;

/// <summary>
/// Where and how events are published (configuration section <c>Kms:Events</c>, beside
/// <see cref="Kms.Core.Events.KmsEventOptions.Enabled"/>).
/// </summary>
public sealed class EventGridOptions
{
    /// <summary>
    /// The Event Grid topic endpoint, e.g. https://{topic}.{region}-1.eventgrid.azure.net/api/events; locally the
    /// stand-in topic of Kms.LocalHost, http://127.0.0.1:7071/eventgrid/api/events.
    /// </summary>
    public Uri? TopicEndpoint { get; set; }

    /// <summary>The topic's access key. A secret: never logged. Without it the publisher uses DefaultAzureCredential
    /// (managed identity with the "EventGrid Data Sender" role).</summary>
    public string? TopicKey { get; set; }

    /// <summary>CloudEvents <c>source</c> of every event: names this KMS deployment.</summary>
    public string Source { get; set; } = "/kms";

    /// <summary>How often the outbox is scanned for rows no signal announced (left by a crash or another instance).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts before a row moves to the poison table.</summary>
    public int MaxAttempts { get; set; } = 12;

    /// <summary>Wait before the second attempt; doubles with each failure up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a new audit batch waits for more before its partition is dispatched, so under load many batches go
    /// out in one read, one publish and one delete. Key events never wait: a revocation goes out at once.
    /// </summary>
    public TimeSpan AuditLinger { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Partitions dispatched at once.</summary>
    public int Concurrency { get; set; } = 4;

    /// <summary>Outbox rows read from one partition per pass.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>Timeout of one publish call.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public void Validate()
    {
        if (TopicEndpoint is null || !TopicEndpoint.IsAbsoluteUri || (TopicEndpoint.Scheme != Uri.UriSchemeHttps && TopicEndpoint.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("Kms:Events:TopicEndpoint must be an absolute http(s) URI when Kms:Events:Enabled is true.", nameof(TopicEndpoint));
        }

        if (string.IsNullOrWhiteSpace(Source))
        {
            throw new ArgumentException("Kms:Events:Source must not be empty.", nameof(Source));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(SweepInterval, TimeSpan.FromSeconds(1), nameof(SweepInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, nameof(MaxAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInitialDelay, TimeSpan.Zero, nameof(RetryInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryInitialDelay, nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(AuditLinger, TimeSpan.Zero, nameof(AuditLinger));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(AuditLinger, TimeSpan.FromMinutes(1), nameof(AuditLinger));
        ArgumentOutOfRangeException.ThrowIfLessThan(Concurrency, 1, nameof(Concurrency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Concurrency, 64, nameof(Concurrency));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchSize, 1000, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PublishTimeout, TimeSpan.Zero, nameof(PublishTimeout));
    }
}
