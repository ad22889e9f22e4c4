using System.Collections.Concurrent;
using Kms.Core;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Tests.Internal;

/// <summary>The handle cache with a fake unwrap and destroy, so races and expiry can be staged exactly.</summary>
public sealed class KeyHandleCacheTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(15);

    private readonly FakeTimeProvider _time = new();
    private readonly ConcurrentBag<ulong> _destroyed = [];
    private readonly ConcurrentQueue<string> _unwrapped = new();
    private Func<HsmKeyRef, bool> _failUnwrap = _ => false;
    private ManualResetEventSlim? _unwrapGate;
    private long _nextHandle;
    private KeyHandleCache? _cache;

    private KeyHandleCache Cache => _cache ??= New(capacity: 100);

    [Fact]
    public async Task Lease_ConcurrentMisses_UnwrapOnceAndShareTheHandle()
    {
        using var gate = new ManualResetEventSlim();
        _unwrapGate = gate;
        var key = Ref("k");

        var tasks = Enumerable.Range(0, 32).Select(_ => Task.Factory.StartNew(() =>
        {
            using var lease = Cache.Lease(key);
            return lease.Handle.ObjectId;
        }, TaskCreationOptions.LongRunning)).ToArray();
        SpinWait.SpinUntil(() => !_unwrapped.IsEmpty, TimeSpan.FromSeconds(10));
        gate.Set();
        var handles = await Task.WhenAll(tasks);

        Assert.Single(_unwrapped);
        Assert.Single(handles.Distinct());
        Assert.Empty(_destroyed);
    }

    [Fact]
    public void Lease_Hit_DoesNotUnwrapAgain()
    {
        var key = Ref("k");

        using (Cache.Lease(key))
        {
        }

        using var second = Cache.Lease(key);

        Assert.Single(_unwrapped);
    }

    [Fact]
    public void Evict_WhileLeased_DestroysOnlyAfterLeaseEnds()
    {
        var key = Ref("k");
        var lease = Cache.Lease(key);
        var handle = lease.Handle.ObjectId;

        Cache.Evict("k", null);
        Assert.Empty(_destroyed);
        Assert.Equal(0, Cache.Count);

        lease.Dispose();
        Assert.Equal([handle], _destroyed);
    }

    [Fact]
    public void Evict_ThenLease_UnwrapsAFreshHandle()
    {
        var key = Ref("k");
        ulong first;
        using (var lease = Cache.Lease(key))
        {
            first = lease.Handle.ObjectId;
        }

        Cache.Evict("k", 1);
        using var again = Cache.Lease(key);

        Assert.Equal(2, _unwrapped.Count);
        Assert.NotEqual(first, again.Handle.ObjectId);
        Assert.Equal([first], _destroyed);
    }

    [Fact]
    public void Evict_AllVersions_LeavesOtherKeys()
    {
        Lease(Ref("a", 1));
        Lease(Ref("a", 2));
        Lease(Ref("ab", 1));

        var dropped = Cache.Evict("a", null);

        Assert.Equal(2, dropped);
        Assert.Equal(1, Cache.Count);
        Assert.Equal(2, _destroyed.Count);
    }

    [Fact]
    public async Task Evict_DuringUnwrap_DoesNotKeepTheHandle()
    {
        using var gate = new ManualResetEventSlim();
        _unwrapGate = gate;
        var key = Ref("k");

        var leasing = Task.Factory.StartNew(() =>
        {
            using var lease = Cache.Lease(key);
            return lease.Handle.ObjectId;
        }, TaskCreationOptions.LongRunning);
        SpinWait.SpinUntil(() => !_unwrapped.IsEmpty, TimeSpan.FromSeconds(10));
        Cache.Evict("k", null);
        gate.Set();
        var handle = await leasing;

        // The caller that triggered the unwrap still got to use it; afterwards nothing is left behind.
        Assert.Equal(0, Cache.Count);
        Assert.Equal([handle], _destroyed);
    }

    [Fact]
    public void Lease_AfterTtl_UnwrapsAgainAndDestroysTheOldHandle()
    {
        var key = Ref("k");
        var first = Lease(key);

        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal(first, Lease(key));
        _time.Advance(TimeSpan.FromSeconds(2));
        var second = Lease(key);

        Assert.NotEqual(first, second);
        Assert.Contains(first, _destroyed);
        Assert.Equal(2, _unwrapped.Count);
    }

    [Fact]
    public void Sweeper_ExpiredIdleHandles_DestroysThemWithoutAnyLease()
    {
        var handle = Lease(Ref("k"));

        _time.Advance(Ttl + TimeSpan.FromMinutes(1));

        Assert.Equal([handle], _destroyed);
        Assert.Equal(0, Cache.Count);
    }

    [Fact]
    public void Lease_BeyondCapacity_StaysBoundedAndDestroysWhatItDrops()
    {
        _cache = New(capacity: 10);

        for (var i = 0; i < 35; i++)
        {
            Lease(Ref($"k{i}"));
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.InRange(Cache.Count, 1, 10);
        Assert.Equal(35 - Cache.Count, _destroyed.Count);
        // The newest key survived the trimming.
        Lease(Ref("k34"));
        Assert.Equal(35, _unwrapped.Count);
    }

    [Fact]
    public void Lease_UnwrapFails_ThrowsAndNextCallTriesAgain()
    {
        var key = Ref("k");
        _failUnwrap = _ => true;

        Assert.Throws<InvalidOperationException>(() => Cache.Lease(key));
        _failUnwrap = _ => false;
        using var lease = Cache.Lease(key);

        Assert.Equal(2, _unwrapped.Count);
        Assert.Equal(1, Cache.Count);
    }

    public void Dispose() => _cache?.Dispose();

    private KeyHandleCache New(int capacity) =>
        new(Unwrap, h => _destroyed.Add(h.ObjectId), _time, Ttl, capacity, NullLogger.Instance);

    private ulong Lease(HsmKeyRef key)
    {
        using var lease = Cache.Lease(key);
        return lease.Handle.ObjectId;
    }

    private IObjectHandle Unwrap(HsmKeyRef key)
    {
        _unwrapped.Enqueue(key.KeyId);
        _unwrapGate?.Wait(TimeSpan.FromSeconds(10));
        if (_failUnwrap(key))
        {
            throw new InvalidOperationException("unwrap failed");
        }

        return Pkcs11Runtime.Factories.ObjectHandleFactory.Create((ulong)Interlocked.Increment(ref _nextHandle));
    }

    private static HsmKeyRef Ref(string keyId, int version = 1) => new(keyId, version, KeySpec.Aes256, new byte[40], "root");
}
