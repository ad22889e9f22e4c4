using System.Text.Json;

namespace Kms.Client.AspNetCore;

/// <summary>What the listener did with the caches for one event.</summary>
public enum KmsCacheEviction
{
    /// <summary>Nothing: a type the listener does not act on (a newer KMS may publish types this package does not know).</summary>
    None,

    /// <summary><see cref="IKmsKeyCacheInvalidator.EvictKey"/> was called on every invalidator.</summary>
    Key,

    /// <summary><see cref="IKmsKeyCacheInvalidator.EvictKeyVersion"/> was called on every invalidator.</summary>
    KeyVersion,
}

/// <summary>One KMS event received by the webhook, after the caches were evicted, as handed to <see cref="IKmsEventHandler"/>.</summary>
/// <param name="Id">The CloudEvents id: the same event delivered twice keeps it.</param>
/// <param name="Type">The CloudEvents type, e.g. <see cref="KmsEventTypes.KeyVersionRevoked"/>.</param>
/// <param name="Subject"><c>/keys/{keyId}</c> or <c>/keys/{keyId}/versions/{version}</c>; null when the event has none.</param>
/// <param name="Time">When the KMS made the change; Event Grid does not keep order, so the later time wins.</param>
/// <param name="KeyId">The key the event is about, for the types the listener acts on.</param>
/// <param name="Version">The version, for version events.</param>
/// <param name="Eviction">What was evicted before this event reached the handler.</param>
/// <param name="Data">The event's data (e.g. a revocation's <c>reason</c>). It may hold who made the change: handle it as the app
/// handles audit data.</param>
public sealed record KmsKeyEvent(
    string Id,
    string Type,
    string Source,
    string? Subject,
    DateTimeOffset? Time,
    string? KeyId,
    int? Version,
    KmsCacheEviction Eviction,
    JsonElement? Data);
