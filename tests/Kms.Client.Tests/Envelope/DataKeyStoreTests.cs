using Kms.Client.Envelope.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Envelope;

/// <summary>The cache's own copies of data keys are zeroed whenever they leave it.</summary>
public sealed class DataKeyStoreTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void EvictKeyVersion_MatchingEntry_IsZeroedAndOthersKept()
    {
        using var store = new DataKeyStore(10, _time);
        var v1 = NewKey("k", 1);
        var v2 = NewKey("k", 2);
        var other = NewKey("other", 1);
        store.Add("a", v1, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);
        store.Add("b", v2, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);
        store.Add("c", other, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);

        store.EvictKeyVersion("k", 1);

        Assert.All(v1.Plaintext, b => Assert.Equal(0, b));
        Assert.Contains(v2.Plaintext, b => b != 0);
        Assert.Null(store.TryUse("a", 0, long.MaxValue, long.MaxValue));
        Assert.NotNull(store.TryUse("b", 0, long.MaxValue, long.MaxValue));
        Assert.NotNull(store.TryUse("c", 0, long.MaxValue, long.MaxValue));
    }

    [Fact]
    public void EvictKey_AllVersions_AreZeroed()
    {
        using var store = new DataKeyStore(10, _time);
        var v1 = NewKey("k", 1);
        var v2 = NewKey("k", 2);
        store.Add("a", v1, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);
        store.Add("b", v2, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);

        store.EvictKey("k");

        Assert.Equal(0, store.Count);
        Assert.All(v1.Plaintext.Concat(v2.Plaintext), b => Assert.Equal(0, b));
    }

    [Fact]
    public void TryUse_Expired_RemovesAndZeroesTheEntry()
    {
        using var store = new DataKeyStore(10, _time);
        var key = NewKey("k", 1);
        store.Add("a", key, TimeSpan.FromMinutes(1), store.EvictionEpoch, 1, 0);

        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(store.TryUse("a", 0, long.MaxValue, long.MaxValue));
        Assert.All(key.Plaintext, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Add_ExpiredEntriesPresent_SweepsAndZeroesThem()
    {
        using var store = new DataKeyStore(10, _time);
        var old = NewKey("k", 1);
        store.Add("old", old, TimeSpan.FromMinutes(1), store.EvictionEpoch, 1, 0);

        _time.Advance(TimeSpan.FromMinutes(5));
        store.Add("new", NewKey("k", 1), TimeSpan.FromMinutes(1), store.EvictionEpoch, 1, 0);

        Assert.Equal(1, store.Count);
        Assert.All(old.Plaintext, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Add_AtCapacity_EvictsAndZeroesTheLeastRecentlyUsed()
    {
        using var store = new DataKeyStore(2, _time);
        var a = NewKey("k", 1);
        var b = NewKey("k", 1);
        store.Add("a", a, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);
        store.Add("b", b, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);
        Assert.NotNull(store.TryUse("a", 0, long.MaxValue, long.MaxValue));

        store.Add("c", NewKey("k", 1), TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);

        Assert.Equal(2, store.Count);
        Assert.All(b.Plaintext, x => Assert.Equal(0, x));
        Assert.NotNull(store.TryUse("a", 0, long.MaxValue, long.MaxValue));
    }

    [Fact]
    public void TryUse_ReturnsACopy_SoZeroingItLeavesTheCachedKeyIntact()
    {
        using var store = new DataKeyStore(10, _time);
        var key = NewKey("k", 1);
        var original = (byte[])key.Plaintext.Clone();
        store.Add("a", key, TimeSpan.FromHours(1), store.EvictionEpoch, 1, 0);

        var copy = store.TryUse("a", 0, long.MaxValue, long.MaxValue)!;
        Array.Clear(copy.Plaintext);

        Assert.Equal(original, store.TryUse("a", 0, long.MaxValue, long.MaxValue)!.Plaintext);
    }

    [Fact]
    public void Add_AfterAnEvictionSinceTheFetchStarted_ZeroesAndDoesNotCache()
    {
        using var store = new DataKeyStore(10, _time);
        var epoch = store.EvictionEpoch;
        store.EvictKeyVersion("k", 1);
        var key = NewKey("k", 1);

        store.Add("a", key, TimeSpan.FromHours(1), epoch, 1, 0);

        Assert.Equal(0, store.Count);
        Assert.All(key.Plaintext, b => Assert.Equal(0, b));
    }

    private static KmsDataKey NewKey(string keyId, int version) =>
        new(keyId, version, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), [1, 2, 3]);
}
