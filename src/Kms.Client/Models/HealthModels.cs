using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>The KMS's health: <c>healthy</c> or <c>unhealthy</c>, per component.</summary>
public sealed class KmsHealth
{
    [JsonConstructor]
    internal KmsHealth(string status, IReadOnlyDictionary<string, KmsComponentHealth> components, KmsEventDelivery? events)
    {
        Status = status;
        Components = components;
        Events = events;
    }

    public string Status { get; }

    public bool IsHealthy => Status == "healthy";

    /// <summary><c>hsm</c> and <c>storage</c>.</summary>
    public IReadOnlyDictionary<string, KmsComponentHealth> Components { get; }

    /// <summary>Event delivery, when events are on.</summary>
    public KmsEventDelivery? Events { get; }
}

public sealed class KmsComponentHealth
{
    [JsonConstructor]
    internal KmsComponentHealth(string status, string? detail)
    {
        Status = status;
        Detail = detail;
    }

    public string Status { get; }

    public string? Detail { get; }
}

public sealed class KmsEventDelivery
{
    [JsonConstructor]
    internal KmsEventDelivery(string status, long published, long publishFailures, long pending, long poisoned, DateTimeOffset? oldestPendingAt,
        DateTimeOffset? lastSweepAt, DateTimeOffset? lastPublishedAt, string? lastError)
    {
        Status = status;
        Published = published;
        PublishFailures = publishFailures;
        Pending = pending;
        Poisoned = poisoned;
        OldestPendingAt = oldestPendingAt;
        LastSweepAt = lastSweepAt;
        LastPublishedAt = lastPublishedAt;
        LastError = lastError;
    }

    public string Status { get; }

    public long Published { get; }

    public long PublishFailures { get; }

    public long Pending { get; }

    public long Poisoned { get; }

    public DateTimeOffset? OldestPendingAt { get; }

    public DateTimeOffset? LastSweepAt { get; }

    public DateTimeOffset? LastPublishedAt { get; }

    public string? LastError { get; }
}
