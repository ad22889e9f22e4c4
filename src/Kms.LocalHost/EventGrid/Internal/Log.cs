using Microsoft.Extensions.Logging;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>
/// Log events of the local Event Grid stand-in (event ids 6000-6099). Messages carry subscription names, event ids,
/// types and subjects, outcomes and HTTP statuses; never the access key or event data.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6000, Level = LogLevel.Information, Message = "Local Event Grid stand-in ready: table {TableName}, dead letters in container {ContainerName}, {SubscriptionCount} subscription(s)")]
    public static partial void Ready(this ILogger logger, string tableName, string containerName, int subscriptionCount);

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning, Message = "Rejected a publish request: {Code} ({Status})")]
    public static partial void PublishRejected(this ILogger logger, string code, int status);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Debug, Message = "Accepted event {EventId} of type {EventType} about {Subject} for {DeliveryCount} subscription(s)")]
    public static partial void EventAccepted(this ILogger logger, string eventId, string eventType, string? subject, int deliveryCount);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Error, Message = "Storing published events failed; answering 503 so the publisher retries")]
    public static partial void StoreFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Information, Message = "Subscription {Subscription} passed the webhook handshake")]
    public static partial void HandshakePassed(this ILogger logger, string subscription);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Subscription {Subscription} failed the webhook handshake ({Outcome}, status {Status}); events stay pending, next try in {Delay}")]
    public static partial void HandshakeFailed(this ILogger logger, string subscription, string outcome, int? status, TimeSpan delay);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Debug, Message = "Delivered event {EventId} of type {EventType} to {Subscription} (status {Status})")]
    public static partial void Delivered(this ILogger logger, string eventId, string eventType, string subscription, int? status);

    [LoggerMessage(EventId = 6013, Level = LogLevel.Information, Message = "Delivery of event {EventId} to {Subscription} failed ({Outcome}, status {Status}, attempt {Attempt}); next try in {Delay}")]
    public static partial void DeliveryFailed(this ILogger logger, string eventId, string subscription, string outcome, int? status, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 6014, Level = LogLevel.Warning, Message = "Dead-lettered event {EventId} of type {EventType} for {Subscription}: {Reason} after {Attempts} attempt(s), blob {BlobName}")]
    public static partial void DeadLettered(this ILogger logger, string eventId, string eventType, string subscription, string reason, int attempts, string blobName);

    [LoggerMessage(EventId = 6015, Level = LogLevel.Error, Message = "Delivery pass for subscription {Subscription} failed; retrying at the next poll")]
    public static partial void PassFailed(this ILogger logger, string subscription, Exception exception);
}
