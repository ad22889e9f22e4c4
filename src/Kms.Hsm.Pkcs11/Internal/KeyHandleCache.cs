using System.Collections.Concurrent;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// Unwrapped key handles by (key id, version), bounded in size and lifetime. Concurrent misses for one
/// key unwrap once; eviction takes effect at once, and the object is destroyed when its last lease ends.
/// </summary>
internal sealed class KeyHandleCache : IDisposable
{
    private readonly ConcurrentDictionary<(string KeyId, int Version), CachedKeyHandle> _entries = new();
    private readonly ConcurrentDictionary<(string KeyId, int Version), Lazy<CachedKeyHandle>> _loading = new();
    private readonly Func<HsmKeyRef, IObjectHandle> _unwrap;
    private readonly Action<IObjectHandle> _destroy;
    private readonly TimeProvider _time;
    private readonly long _ttlTimestampUnits;
    private readonly int _capacity;
    private readonly ILogger _logger;
    private readonly KmsMetrics? _metrics;
    private readonly Lock _trimGate = new();
    private readonly ITimer _sweeper;
    // Bumped by every eviction so a load that raced with one does not put back what was just evicted.
    private long _evictions;

    public KeyHandleCache(Func<HsmKeyRef, IObjectHandle> unwrap, Action<IObjectHandle> destroy, TimeProvider time, TimeSpan ttl,
        int capacity, ILogger logger, KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _unwrap = unwrap;
        _destroy = destroy;
        _time = time;
        _ttlTimestampUnits = (long)(ttl.TotalSeconds * time.TimestampFrequency);
        _capacity = capacity;
        _logger = logger;

        // Expired handles are destroyed even when nobody asks for them again, so unwrapped material does
        // not outlive the TTL by more than one sweep period.
        var period = TimeSpan.FromTicks(Math.Clamp(ttl.Ticks, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _sweeper = time.CreateTimer(static state => ((KeyHandleCache)state!).SweepInBackground(), this, period, period);
    }

    public int Count => _entries.Count;

    /// <summary>A lease on the key's handle, unwrapping it on a miss. Dispose the lease when the operation ends.</summary>
    public KeyLease Lease(HsmKeyRef key)
    {
        var id = (key.KeyId, key.Version);
        var missed = false;
        while (true)
        {
            if (_entries.TryGetValue(id, out var cached))
            {
                if (_time.GetTimestamp() < cached.ExpiresAt)
                {
                    if (cached.TryAddReference())
                    {
                        if (!missed)
                        {
                            _metrics?.HsmKeyCacheLookup(hit: true);
                        }

                        return new KeyLease(cached);
                    }
                }
                else
                {
                    Remove(id, cached);
                }
            }

            // One look-up counts once, however often an eviction race sends it round again.
            if (!missed)
            {
                missed = true;
                _metrics?.HsmKeyCacheLookup(hit: false);
            }

            var loading = _loading.GetOrAdd(id,
                static (_, state) => new Lazy<CachedKeyHandle>(() => state.Cache.Load(state.Key), LazyThreadSafetyMode.ExecutionAndPublication),
                (Cache: this, Key: key));
            CachedKeyHandle loaded;
            try
            {
                loaded = loading.Value;
            }
            finally
            {
                _loading.TryRemove(KeyValuePair.Create(id, loading));
            }

            if (loaded.TryClaimLoaderReference() || loaded.TryAddReference())
            {
                return new KeyLease(loaded);
            }

            // Evicted between the unwrap and our turn: go round and unwrap again.
        }
    }

    /// <summary>Drops the handles of a key (one version or all) at once; returns how many were dropped.</summary>
    public int Evict(string keyId, int? version)
    {
        Interlocked.Increment(ref _evictions);
        var count = 0;
        if (version is { } v)
        {
            if (_entries.TryRemove((keyId, v), out var entry))
            {
                entry.Detach();
                count++;
            }
        }
        else
        {
            foreach (var pair in _entries)
            {
                if (string.Equals(pair.Key.KeyId, keyId, StringComparison.Ordinal) && _entries.TryRemove(pair))
                {
                    pair.Value.Detach();
                    count++;
                }
            }
        }

        return count;
    }

    public void SweepExpired()
    {
        var now = _time.GetTimestamp();
        foreach (var pair in _entries)
        {
            if (now >= pair.Value.ExpiresAt)
            {
                Remove(pair.Key, pair.Value);
            }
        }
    }

    private void SweepInBackground()
    {
        try
        {
            SweepExpired();
        }
        catch (Exception ex)
        {
            // A timer callback must not take the process down; the next sweep or lease tries again.
            Log.SweepFailed(_logger, ex);
        }
    }

    /// <summary>Stops the sweeper. Handles are not destroyed one by one: closing the owner session destroys them all.</summary>
    public void Dispose() => _sweeper.Dispose();

    private CachedKeyHandle Load(HsmKeyRef key)
    {
        var id = (key.KeyId, key.Version);
        // A caller that missed just before another load finished (and left _loading) lands here: reuse its result.
        if (_entries.TryGetValue(id, out var current) && _time.GetTimestamp() < current.ExpiresAt)
        {
            return current;
        }

        var evictionsBefore = Interlocked.Read(ref _evictions);
        var handle = _unwrap(key);
        var entry = new CachedKeyHandle(handle, _time.GetTimestamp() + _ttlTimestampUnits, _destroy);
        MakeRoom();
        while (!_entries.TryAdd(id, entry))
        {
            if (_entries.TryGetValue(id, out var stale))
            {
                Remove(id, stale);
            }
        }

        if (Interlocked.Read(ref _evictions) != evictionsBefore)
        {
            // An eviction ran while we unwrapped and may have missed this entry: do not keep it.
            Remove(id, entry);
        }

        return entry;
    }

    private void Remove((string KeyId, int Version) id, CachedKeyHandle entry)
    {
        if (_entries.TryRemove(KeyValuePair.Create(id, entry)))
        {
            entry.Detach();
        }
    }

    private void MakeRoom()
    {
        if (_entries.Count < _capacity)
        {
            return;
        }

        lock (_trimGate)
        {
            SweepExpired();
            var excess = _entries.Count - (_capacity - Math.Max(1, _capacity / 10));
            if (excess <= 0)
            {
                return;
            }

            // Full of live handles: drop the ones closest to expiry, leaving some headroom so this stays rare.
            var victims = _entries.OrderBy(pair => pair.Value.ExpiresAt).Take(excess).ToList();
            foreach (var victim in victims)
            {
                Remove(victim.Key, victim.Value);
            }

            Log.CacheTrimmed(_logger, _capacity, victims.Count);
        }
    }
}
