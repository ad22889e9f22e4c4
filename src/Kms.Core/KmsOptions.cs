namespace Kms.Core;

/// <summary>Limits and cache settings of the KMS application services (configuration section <c>Kms</c>).</summary>
public sealed class KmsOptions
{
    public const string SectionName = "Kms";

    /// <summary>Largest plaintext, message or data accepted by encrypt, sign and MAC (bytes).</summary>
    public int MaxPlaintextBytes { get; set; } = 64 * 1024;

    /// <summary>Most items in one batch encrypt, decrypt or re-encrypt request.</summary>
    public int MaxBatchItems { get; set; } = 1000;

    /// <summary>Largest request body the API reads (bytes). A full batch of 1 KiB items fits easily.</summary>
    public long MaxRequestBodyBytes { get; set; } = 16 * 1024 * 1024;

    public int DefaultPageSize { get; set; } = 50;

    public int MaxPageSize { get; set; } = 1000;

    /// <summary>
    /// How long key and version metadata read from storage is reused. Changes made through this instance
    /// apply at once; other instances see them within this interval.
    /// </summary>
    public TimeSpan MetadataCacheTtl { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most key, version and alias entries held by the metadata cache.</summary>
    public int MetadataCacheSize { get; set; } = 100_000;

    /// <summary>Distinct approvers (other than the requester) a destructive operation needs (M of M-of-N).</summary>
    public int RequiredApprovals { get; set; } = 2;

    /// <summary>
    /// How long a destruction waits for its approvals once they are needed (a revocation's rewrap is done, a deletion's
    /// waiting period is over); without them the material is kept.
    /// </summary>
    public TimeSpan ApprovalLifetime { get; set; } = TimeSpan.FromHours(72);

    /// <summary>
    /// Shortest waiting period a deletion may be scheduled with, in days (7 like AWS KMS). Lower it (down to 0) only for
    /// tests and game-day drills on throw-away keys.
    /// </summary>
    public int MinDeletionWaitingDays { get; set; } = 7;

    /// <summary>
    /// How long a root-key rotation waits after switching the current root before its final sweep, so that keys
    /// generated under the old root just before the switch (and still being stored) are stored by then and are
    /// rewrapped too. Keep it above the longest create/rotate request (storage timeouts and retries) and above
    /// <see cref="MetadataCacheTtl"/>.
    /// </summary>
    public TimeSpan RootRotationGracePeriod { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when a value is out of range, so a bad setting stops the host at start.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPlaintextBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBodyBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPageSize, DefaultPageSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(MetadataCacheTtl, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MetadataCacheSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RequiredApprovals, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ApprovalLifetime, TimeSpan.FromSeconds(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinDeletionWaitingDays, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinDeletionWaitingDays, 30);
        ArgumentOutOfRangeException.ThrowIfLessThan(RootRotationGracePeriod, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RootRotationGracePeriod, TimeSpan.FromHours(1));
    }
}
