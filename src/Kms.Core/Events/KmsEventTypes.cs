namespace Kms.Core.Events;

/// <summary>
/// CloudEvents <c>type</c> values of the events the KMS publishes. docs/events.md documents each one's data;
/// subscribers filter on these names, so they never change once published.
/// </summary>
public static class KmsEventTypes
{
    public const string KeyCreated = "Kms.KeyCreated";
    public const string KeyEnabled = "Kms.KeyEnabled";
    public const string KeyDisabled = "Kms.KeyDisabled";
    public const string KeyVersionCreated = "Kms.KeyVersionCreated";
    public const string KeyRotated = "Kms.KeyRotated";
    public const string KeyRotationFailed = "Kms.KeyRotationFailed";
    public const string KeyVersionEnabled = "Kms.KeyVersionEnabled";
    public const string KeyVersionDisabled = "Kms.KeyVersionDisabled";
    public const string KeyVersionRevoked = "Kms.KeyVersionRevoked";
    public const string KeyDeletionScheduled = "Kms.KeyDeletionScheduled";
    public const string KeyDeletionCanceled = "Kms.KeyDeletionCanceled";
    public const string KeyDestroyed = "Kms.KeyDestroyed";
    public const string PolicyChanged = "Kms.PolicyChanged";
    public const string KeyNearRotationDue = "Kms.KeyNearRotationDue";
    public const string AuditRecord = "Kms.AuditRecord";

    /// <summary>Every type, in documentation order.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        KeyCreated, KeyEnabled, KeyDisabled, KeyVersionCreated, KeyRotated, KeyRotationFailed, KeyVersionEnabled, KeyVersionDisabled,
        KeyVersionRevoked, KeyDeletionScheduled, KeyDeletionCanceled, KeyDestroyed, PolicyChanged, KeyNearRotationDue, AuditRecord,
    ];
}
