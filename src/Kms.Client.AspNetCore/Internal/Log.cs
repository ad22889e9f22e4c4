using Microsoft.Extensions.Logging;

namespace Kms.Client.AspNetCore.Internal;

/// <summary>
/// Log events of the listener (9100-9149) and the poller (9150-9199). They name event ids, types, key ids and versions,
/// never other event data, and never a presented secret.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 9100, Level = LogLevel.Information, Message = "KMS event {EventId} ({EventType}): evicted {Eviction} for key {KeyId} version {Version} from {CacheCount} cache(s)")]
    public static partial void Evicted(this ILogger logger, string eventId, string eventType, KmsCacheEviction eviction, string? keyId, int? version, int cacheCount);

    [LoggerMessage(EventId = 9101, Level = LogLevel.Debug, Message = "KMS event {EventId} ({EventType}) calls for no eviction")]
    public static partial void Ignored(this ILogger logger, string eventId, string eventType);

    [LoggerMessage(EventId = 9102, Level = LogLevel.Warning, Message = "Rejected a KMS event delivery: {Problem}")]
    public static partial void Rejected(this ILogger logger, string problem);

    [LoggerMessage(EventId = 9103, Level = LogLevel.Warning, Message = "Rejected a KMS event delivery without a valid shared secret")]
    public static partial void SecretRejected(this ILogger logger);

    [LoggerMessage(EventId = 9104, Level = LogLevel.Error, Message = "Evicting for KMS event {EventId} ({EventType}, key {KeyId} version {Version}) failed; answering 500 so the topic retries")]
    public static partial void EvictionFailed(this ILogger logger, Exception exception, string eventId, string eventType, string? keyId, int? version);

    [LoggerMessage(EventId = 9105, Level = LogLevel.Error, Message = "An IKmsEventHandler failed on KMS event {EventId} ({EventType}); answering 500 so the topic retries")]
    public static partial void HandlerFailed(this ILogger logger, Exception exception, string eventId, string eventType);

    [LoggerMessage(EventId = 9106, Level = LogLevel.Information, Message = "Answered the webhook validation handshake of origin {Origin}")]
    public static partial void HandshakeAnswered(this ILogger logger, string origin);

    [LoggerMessage(EventId = 9107, Level = LogLevel.Warning, Message = "Refused the webhook validation handshake: {Problem}")]
    public static partial void HandshakeRefused(this ILogger logger, string problem);

    [LoggerMessage(EventId = 9108, Level = LogLevel.Warning, Message = "KMS event {EventId} ({EventType}) for key {KeyId} arrived but no IKmsKeyCacheInvalidator is registered")]
    public static partial void NoCaches(this ILogger logger, string eventId, string eventType, string? keyId);

    [LoggerMessage(EventId = 9150, Level = LogLevel.Information, Message = "Polling found key {KeyId} no longer usable (state {State}); evicted it from {CacheCount} cache(s)")]
    public static partial void PolledKeyUnusable(this ILogger logger, string keyId, string state, int cacheCount);

    [LoggerMessage(EventId = 9151, Level = LogLevel.Information, Message = "Polling found key {KeyId} version {Version} no longer usable (state {State}); evicted it from {CacheCount} cache(s)")]
    public static partial void PolledVersionUnusable(this ILogger logger, string keyId, int version, string state, int cacheCount);

    [LoggerMessage(EventId = 9152, Level = LogLevel.Warning, Message = "Polling key {KeyId} failed; trying again at the next interval")]
    public static partial void PollFailed(this ILogger logger, Exception exception, string keyId);

    [LoggerMessage(EventId = 9153, Level = LogLevel.Information, Message = "Polling {KeyCount} KMS key(s) every {Interval} for revocations")]
    public static partial void PollingStarted(this ILogger logger, int keyCount, TimeSpan interval);
}
