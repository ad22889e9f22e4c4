using Kms.Client.Envelope.Internal;

namespace Kms.Client.Envelope;

/// <summary>
/// The store behind <see cref="CachingCryptoMaterialsManager"/>: data keys for encryption and unwrapped data keys for
/// decryption, each side holding at most <c>capacity</c> entries. Several managers may share one cache; their
/// <see cref="DataKeyCacheOptions.PartitionId"/> decides whether they share entries. Thread-safe.
/// </summary>
public sealed class DataKeyCache : IKmsKeyCacheInvalidator, IDisposable
{
    public DataKeyCache(int capacity, TimeProvider? timeProvider = null)
        : this(capacity, timeProvider, ContentKey.DefaultMaxMessages, ContentKey.DefaultMaxBytes)
    {
    }

    // Tests lower the content-key limits to see a rollover without 2^32 messages.
    internal DataKeyCache(int capacity, TimeProvider? timeProvider, long contentKeyMaxMessages, long contentKeyMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        TimeProvider = timeProvider ?? TimeProvider.System;
        Encryption = new DataKeyStore(capacity, TimeProvider, contentKeyMaxMessages, contentKeyMaxBytes);
        Decryption = new DataKeyStore(capacity, TimeProvider);
    }

    internal TimeProvider TimeProvider { get; }

    internal DataKeyStore Encryption { get; }

    internal DataKeyStore Decryption { get; }

    /// <summary>Drops and zeroes every entry, on both sides, whose data key came from <paramref name="keyId"/>.</summary>
    public void EvictKey(string keyId)
    {
        Encryption.EvictKey(keyId);
        Decryption.EvictKey(keyId);
    }

    /// <summary>Drops and zeroes every entry, on both sides, whose data key was wrapped by that key version.</summary>
    public void EvictKeyVersion(string keyId, int version)
    {
        Encryption.EvictKeyVersion(keyId, version);
        Decryption.EvictKeyVersion(keyId, version);
    }

    /// <summary>Drops and zeroes every entry.</summary>
    public void Clear()
    {
        Encryption.Clear();
        Decryption.Clear();
    }

    public void Dispose()
    {
        Encryption.Dispose();
        Decryption.Dispose();
    }
}
