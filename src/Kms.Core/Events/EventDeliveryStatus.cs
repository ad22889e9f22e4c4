namespace Kms.Core.Events;

/// <summary>
/// How event delivery is doing, as this instance sees it: what it published and what the last sweep of the outbox
/// found still waiting. Published versus pending is the audit delivery rate operators watch.
/// </summary>
/// <param name="Pending">Outbox rows waiting at the last sweep, less those this instance published since.</param>
/// <param name="Poisoned">Rows set aside after too many failed attempts (found by the last sweep).</param>
public sealed record EventDeliverySnapshot(
    long Published,
    long PublishFailures,
    long Pending,
    long Poisoned,
    DateTimeOffset? OldestPendingAt,
    DateTimeOffset? LastSweepAt,
    DateTimeOffset? LastPublishedAt,
    string? LastError);

/// <summary>Read side of the dispatcher's figures, for <c>GET /api/health</c>. Registered only when events are on.</summary>
public interface IEventDeliveryStatus
{
    EventDeliverySnapshot Current { get; }
}
