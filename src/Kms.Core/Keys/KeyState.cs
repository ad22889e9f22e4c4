namespace Kms.Core;

/// <summary>Lifecycle state of a key. A disabled key refuses every cryptographic operation.</summary>
public enum KeyState
{
    Enabled,
    Disabled,
    /// <summary>Deletion is scheduled for <see cref="KeyRecord.DeletionDate"/>; every operation is refused until it is cancelled.</summary>
    PendingDeletion,
}

/// <summary>State of one key version. A disabled version refuses use; enabling it restores it.</summary>
public enum KeyVersionState
{
    Enabled,
    Disabled,
}
