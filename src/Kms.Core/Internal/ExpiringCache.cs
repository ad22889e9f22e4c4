using System.Collections.Concurrent;

namespace Kms.Core.Internal;

/// <summary>A small TTL- and size-bounded cache. When full it is cleared rather than tracking recency: cheap and good enough for metadata.</summary>
internal sealed class ExpiringCache<TKey, TValue> where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, (TValue Value, long ExpiresAt)> _entries = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly int _capacity;

    public ExpiringCache(TimeProvider time, TimeSpan ttl, int capacity)
    {
        _time = time;
        _ttl = ttl;
        _capacity = capacity;
    }

    public bool TryGet(TKey key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var entry) && _time.GetTimestamp() < entry.ExpiresAt)
        {
            value = entry.Value;
            return true;
        }

        value = default!;
        return false;
    }

    public void Set(TKey key, TValue value)
    {
        if (_ttl <= TimeSpan.Zero)
        {
            return;
        }

        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }

        var expiresAt = _time.GetTimestamp() + (long)(_ttl.TotalSeconds * _time.TimestampFrequency);
        _entries[key] = (value, expiresAt);
    }

    public void Remove(TKey key) => _entries.TryRemove(key, out _);

    public void RemoveWhere(Func<TKey, bool> predicate)
    {
        foreach (var key in _entries.Keys)
        {
            if (predicate(key))
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
