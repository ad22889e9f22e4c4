namespace Kms.LocalHost.EventGrid;

/// <summary>
/// Settings of the local Event Grid topic stand-in (configuration section <c>Kms:LocalEventGrid</c>).
/// Retry and lifetime defaults are Event Grid's own, so local behaviour matches Azure unless a test shortens them.
/// </summary>
public sealed class LocalEventGridOptions
{
    public const string SectionName = "Kms:LocalEventGrid";

    /// <summary>Event Grid allows at most 30 delivery attempts per event.</summary>
    public const int MaxAllowedDeliveryAttempts = 30;

    /// <summary>When false (the default) nothing of the stand-in is registered or mapped.</summary>
    public bool Enabled { get; set; }

    /// <summary>The topic key publishers send in <c>aeg-sas-key</c>. A secret: never logged.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Webhook subscriptions the topic pushes matching events to.</summary>
    public IList<LocalEventGridSubscription> Subscriptions { get; } = [];

    /// <summary>Delivery attempts per event before it is dead-lettered (1 to 30, like Event Grid).</summary>
    public int MaxDeliveryAttempts { get; set; } = MaxAllowedDeliveryAttempts;

    /// <summary>How long after publishing an undelivered event is dead-lettered.</summary>
    public TimeSpan EventTimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Wait before the first retry; each later retry waits twice as long, up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one delivery (or handshake) waits for the subscriber's answer; Event Grid waits 30 s.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the worker looks for due retries. New events are delivered at once, without waiting for it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws when a value is missing or out of range, so a bad setting stops the host at start.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(AccessKey))
        {
            throw new ArgumentException($"{SectionName}:AccessKey is required when the local Event Grid is enabled.", nameof(AccessKey));
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Subscriptions.Count; i++)
        {
            Subscriptions[i].Validate($"{SectionName}:Subscriptions:{i}");
            if (!names.Add(Subscriptions[i].Name!))
            {
                // The name is the partition of its delivery rows and the folder of its dead letters.
                throw new ArgumentException($"{SectionName}:Subscriptions has the name '{Subscriptions[i].Name}' twice.", nameof(Subscriptions));
            }
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDeliveryAttempts, 1, nameof(MaxDeliveryAttempts));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDeliveryAttempts, MaxAllowedDeliveryAttempts, nameof(MaxDeliveryAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(EventTimeToLive, TimeSpan.Zero, nameof(EventTimeToLive));
        // Event Grid keeps an event at most 24 hours (1440 minutes).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EventTimeToLive, TimeSpan.FromHours(24), nameof(EventTimeToLive));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RetryInitialDelay, TimeSpan.Zero, nameof(RetryInitialDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxDelay, RetryInitialDelay, nameof(RetryMaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DeliveryTimeout, TimeSpan.Zero, nameof(DeliveryTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DeliveryTimeout, TimeSpan.FromMinutes(5), nameof(DeliveryTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PollInterval, TimeSpan.FromMinutes(1), nameof(PollInterval));
    }
}
