namespace Kms.Core.Events;

/// <summary>Whether the KMS records events (configuration section <c>Kms:Events</c>).</summary>
public sealed class KmsEventOptions
{
    public const string SectionName = "Kms:Events";

    /// <summary>
    /// When true every state change writes its events to the outbox and a dispatcher publishes them. Off, nothing
    /// is written (no outbox grows with nobody to drain it). The publisher's own settings share this section.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>Also publish the audit stream as AuditRecord events (for a SIEM).</summary>
    public bool PublishAuditRecords { get; set; } = true;

    /// <summary>
    /// How long stored audit records of another instance's chain may stay unpublished before this instance's sweep
    /// takes them over (gives them outbox rows and publishes them). Their writer normally publishes them within a
    /// second; it is this long, plus up to a sweep interval, before the records of an instance that crashed go out.
    /// Shorter means sooner after a crash and more duplicates when a writer is only slow.
    /// </summary>
    public TimeSpan AuditTakeoverDelay { get; set; } = TimeSpan.FromMinutes(1);
}
