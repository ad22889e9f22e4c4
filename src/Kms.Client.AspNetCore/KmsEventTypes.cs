namespace Kms.Client.AspNetCore;

/// <summary>
/// CloudEvents <c>type</c> values the KMS publishes that the listener acts on (docs/events.md). The KMS never renames a
/// published type, so these are safe to filter subscriptions on.
/// </summary>
public static class KmsEventTypes
{
    /// <summary>The key was disabled: every version refuses use.</summary>
    public const string KeyDisabled = "Kms.KeyDisabled";

    /// <summary>Deletion was scheduled: the key refuses every use from now on.</summary>
    public const string KeyDeletionScheduled = "Kms.KeyDeletionScheduled";

    /// <summary>One version was disabled.</summary>
    public const string KeyVersionDisabled = "Kms.KeyVersionDisabled";

    /// <summary>Emergency revocation of one version: refused for good.</summary>
    public const string KeyVersionRevoked = "Kms.KeyVersionRevoked";

    /// <summary>A staged rotation was rolled back and the version it made disabled.</summary>
    public const string KeyRotationFailed = "Kms.KeyRotationFailed";

    /// <summary>Key material destroyed: of the whole key (no <c>version</c> in the data) or of one version.</summary>
    public const string KeyDestroyed = "Kms.KeyDestroyed";

    /// <summary>The event types to subscribe the listener to: every type it evicts on.</summary>
    public static IReadOnlyList<string> Evicting { get; } =
        [KeyDisabled, KeyDeletionScheduled, KeyVersionDisabled, KeyVersionRevoked, KeyRotationFailed, KeyDestroyed];
}
