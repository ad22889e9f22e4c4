namespace Kms.Core;

/// <summary>Lifecycle state of a key. A disabled key refuses every cryptographic operation.</summary>
public enum KeyState
{
    Enabled,
    Disabled,
    /// <summary>Deletion is scheduled for <see cref="KeyRecord.DeletionDate"/>; every operation is refused until it is cancelled.</summary>
    PendingDeletion,
    /// <summary>
    /// The deletion was carried out: every version's material is gone. The key record stays as a tombstone so its id
    /// is never reused and audit records that name it still resolve.
    /// </summary>
    Destroyed,
}

/// <summary>State of one key version. A disabled version refuses use; enabling it restores it.</summary>
public enum KeyVersionState
{
    Enabled,
    Disabled,
    /// <summary>
    /// Withdrawn by an emergency revocation: refused for every use, and it cannot be enabled again. Only the rewrap of the
    /// revocation that revoked it (<see cref="KeyVersionRecord.RevokedBy"/>) may still open it, to move data off it.
    /// </summary>
    Revoked,
    /// <summary>The material was destroyed after approval; the record stays so the version number is never reused.</summary>
    Destroyed,
}
