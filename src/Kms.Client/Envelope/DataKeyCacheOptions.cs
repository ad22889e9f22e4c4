namespace Kms.Client.Envelope;

/// <summary>
/// Limits of <see cref="CachingCryptoMaterialsManager"/>. A cached data key is reused only while it is younger than
/// <see cref="MaxAge"/> and has encrypted fewer than <see cref="MaxMessagesEncrypted"/> messages and
/// <see cref="MaxBytesEncrypted"/> bytes; whichever limit is reached first retires it.
/// </summary>
public sealed class DataKeyCacheOptions
{
    /// <summary>
    /// How long a data key (encrypt side) or an unwrapped data key (decrypt side) may be reused. Required and positive:
    /// it bounds how long a key the KMS has disabled or revoked can still be used locally when no eviction arrives.
    /// </summary>
    public required TimeSpan MaxAge { get; set; }

    /// <summary>Messages one data key may encrypt (default and maximum 2^32).</summary>
    public long MaxMessagesEncrypted { get; set; } = MaxMessagesLimit;

    /// <summary>Plaintext bytes one data key may encrypt (default: no limit beyond <see cref="long.MaxValue"/>).</summary>
    public long MaxBytesEncrypted { get; set; } = long.MaxValue;

    /// <summary>
    /// Separates managers that share one <see cref="DataKeyCache"/>: only managers with the same partition id reuse each
    /// other's data keys. Null (the default) gives every manager its own random partition.
    /// </summary>
    public string? PartitionId { get; set; }

    /// <summary>Entries per side (encrypt, decrypt) of a cache the manager creates itself; least recently used go first.</summary>
    public int Capacity { get; set; } = 1000;

    internal const long MaxMessagesLimit = 1L << 32;

    internal void Validate()
    {
        if (MaxAge <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxAge), MaxAge, "The data key cache needs a positive MaxAge.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxMessagesEncrypted, 1, nameof(MaxMessagesEncrypted));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxMessagesEncrypted, MaxMessagesLimit, nameof(MaxMessagesEncrypted));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytesEncrypted, 1, nameof(MaxBytesEncrypted));
        ArgumentOutOfRangeException.ThrowIfLessThan(Capacity, 1, nameof(Capacity));
    }
}
