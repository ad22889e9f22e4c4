using Azure;
using Azure.Data.Tables;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>
/// One pending delivery of one event to one subscription: partition = subscription name, row = publish ticks and
/// a random suffix (roughly oldest first, unique even for repeated event ids).
/// </summary>
internal sealed class DeliveryEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string EventId { get; set; } = "";

    public string EventType { get; set; } = "";

    public string? Subject { get; set; }

    /// <summary>The event's JSON exactly as published; a binary property, hence the 64 KiB event limit.</summary>
    public byte[] Event { get; set; } = [];

    public DateTimeOffset PublishTime { get; set; }

    /// <summary>When the worker may try next (the publish time for a new event).</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    public int DeliveryAttempts { get; set; }

    public string? LastDeliveryOutcome { get; set; }

    public int? LastHttpStatusCode { get; set; }

    public DateTimeOffset? LastDeliveryAttemptTime { get; set; }

    public static DeliveryEntity Create(string subscription, PublishedEvent published, DateTimeOffset now) => new()
    {
        PartitionKey = subscription,
        RowKey = $"{now.UtcTicks:D19}-{Guid.NewGuid():N}",
        EventId = published.Id,
        EventType = published.Type,
        Subject = published.Subject,
        Event = published.Json,
        PublishTime = now,
        NextAttemptAt = now,
    };
}
