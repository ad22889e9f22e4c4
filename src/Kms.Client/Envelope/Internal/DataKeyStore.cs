using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// One side of the data key cache: entries keyed by a digest, each owning a copy of a data key, with an expiry and use
/// counters, in least-recently-used order. Callers always get a copy, so zeroing an entry (on eviction, expiry or
/// capacity pressure) never changes a key a message is being encrypted with. On the encrypt side an entry also holds
/// the version 2 <see cref="ContentKey"/> its messages share, retired with the entry or when it reaches its own
/// limits. One lock guards everything; the KMS is never called under it.
/// </summary>
internal sealed class DataKeyStore(
    int capacity,
    TimeProvider timeProvider,
    long contentKeyMaxMessages = ContentKey.DefaultMaxMessages,
    long contentKeyMaxBytes = ContentKey.DefaultMaxBytes) : IKmsKeyCacheInvalidator, IDisposable
{
    // Expired entries are also swept at this pace, so an expired key does not linger in memory until its slot is needed.
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new();
    private long _evictionEpoch;
    private DateTimeOffset _nextSweepAt = DateTimeOffset.MinValue;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>
    /// Changes on every eviction by key or version. A caller reads it before asking the KMS and passes it to
    /// <see cref="Add"/>, so a key fetched while an eviction ran is used once but never cached.
    /// </summary>
    public long EvictionEpoch
    {
        get
        {
            lock (_lock)
            {
                return _evictionEpoch;
            }
        }
    }

    /// <summary>
    /// Returns a copy of the entry's data key and counts one use of <paramref name="bytes"/> bytes, if the entry is
    /// fresh and the use keeps it within both limits; an entry that is expired or would exceed a limit is removed.
    /// </summary>
    public KmsDataKey? TryUse(string cacheKey, long bytes, long maxMessages, long maxBytes)
    {
        lock (_lock)
        {
            var now = timeProvider.GetUtcNow();
            SweepIfDue(now);
            if (!_entries.TryGetValue(cacheKey, out var node))
            {
                return null;
            }

            var entry = node.Value;
            if (now >= entry.ExpiresAt || entry.Messages >= maxMessages || bytes > maxBytes - entry.Bytes)
            {
                Remove(node);
                return null;
            }

            entry.Messages++;
            entry.Bytes += bytes;
            _recency.Remove(node);
            _recency.AddFirst(node);
            return Copy(entry.DataKey);
        }
    }

    /// <summary>
    /// <see cref="TryUse"/> for encryption: also reserves the message a number under the entry's content key (derived
    /// on first use, replaced by a fresh one when it reaches its limits). The lease is null only when even a fresh
    /// content key cannot take <paramref name="bytes"/> (a message larger than the byte limit); the message then derives a
    /// key of its own.
    /// </summary>
    public KmsDataKey? TryUseForEncryption(string cacheKey, long bytes, long maxMessages, long maxBytes, EnvelopeAlgorithmSuite suite, out ContentKeyLease? lease)
    {
        lease = null;
        lock (_lock)
        {
            var dataKey = TryUse(cacheKey, bytes, maxMessages, maxBytes);
            if (dataKey is null)
            {
                return null;
            }

            var entry = _entries[cacheKey].Value;
            if (bytes > contentKeyMaxBytes)
            {
                // No content key could take it; retiring the current one would not help the next message either.
                return dataKey;
            }

            if (entry.ContentKey is { } current && current.TryReserve(bytes, out var number))
            {
                lease = new ContentKeyLease(current, number);
                return dataKey;
            }

            // Derived under the lock, once per 2^32 messages or 64 GiB: a few microseconds, not a KMS call.
            entry.ContentKey?.Dispose();
            entry.ContentKey = ContentKey.Create(entry.DataKey.Plaintext, suite, contentKeyMaxMessages, contentKeyMaxBytes);
            if (entry.ContentKey.TryReserve(bytes, out number))
            {
                lease = new ContentKeyLease(entry.ContentKey, number);
            }

            return dataKey;
        }
    }

    /// <summary>
    /// Caches <paramref name="dataKey"/> (taking ownership of it) with one use already counted, unless an eviction
    /// happened since <paramref name="epochBeforeFetch"/>; then the copy is zeroed and nothing is cached.
    /// </summary>
    public void Add(string cacheKey, KmsDataKey dataKey, TimeSpan maxAge, long epochBeforeFetch, long messages, long bytes)
    {
        lock (_lock)
        {
            if (epochBeforeFetch != _evictionEpoch)
            {
                CryptographicOperations.ZeroMemory(dataKey.Plaintext);
                return;
            }

            var now = timeProvider.GetUtcNow();
            if (_entries.TryGetValue(cacheKey, out var existing))
            {
                // Two concurrent misses: the later key wins, the earlier is retired (its messages stay valid).
                Remove(existing);
            }

            SweepIfDue(now);
            while (_entries.Count >= capacity)
            {
                Remove(_recency.Last!);
            }

            var entry = new Entry(cacheKey, dataKey, AddSaturating(now, maxAge)) { Messages = messages, Bytes = bytes };
            _entries.Add(cacheKey, _recency.AddFirst(entry));
        }
    }

    public void EvictKey(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        EvictWhere(entry => string.Equals(entry.DataKey.KeyId, keyId, StringComparison.Ordinal));
    }

    public void EvictKeyVersion(string keyId, int version)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        EvictWhere(entry => entry.DataKey.Version == version && string.Equals(entry.DataKey.KeyId, keyId, StringComparison.Ordinal));
    }

    public void Clear() => EvictWhere(static _ => true);

    public void Dispose() => Clear();

    private void EvictWhere(Func<Entry, bool> predicate)
    {
        lock (_lock)
        {
            _evictionEpoch++;
            var node = _recency.First;
            while (node is not null)
            {
                var next = node.Next;
                if (predicate(node.Value))
                {
                    Remove(node);
                }

                node = next;
            }
        }
    }

    private void SweepIfDue(DateTimeOffset now)
    {
        if (now < _nextSweepAt)
        {
            return;
        }

        _nextSweepAt = AddSaturating(now, s_sweepInterval);
        var node = _recency.First;
        while (node is not null)
        {
            var next = node.Next;
            if (now >= node.Value.ExpiresAt)
            {
                Remove(node);
            }

            node = next;
        }
    }

    private void Remove(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _entries.Remove(node.Value.CacheKey);
        CryptographicOperations.ZeroMemory(node.Value.DataKey.Plaintext);
        node.Value.ContentKey?.Dispose();
    }

    private static KmsDataKey Copy(KmsDataKey dataKey) => dataKey with { Plaintext = (byte[])dataKey.Plaintext.Clone() };

    private static DateTimeOffset AddSaturating(DateTimeOffset now, TimeSpan span) =>
        span >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + span;

    private sealed class Entry(string cacheKey, KmsDataKey dataKey, DateTimeOffset expiresAt)
    {
        public string CacheKey { get; } = cacheKey;

        public KmsDataKey DataKey { get; } = dataKey;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public long Messages { get; set; }

        public long Bytes { get; set; }

        public ContentKey? ContentKey { get; set; }
    }
}
