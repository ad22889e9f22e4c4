using Kms.Api.Http;

namespace Kms.Api.Tests;

/// <summary>LargeBufferPool reuses batch-body arrays and never keeps more than it was told to.</summary>
public sealed class LargeBufferPoolTests
{
    private const int Mib = 1024 * 1024;

    [Fact]
    public void Rent_AfterReturn_HandsOutTheSameArray_ForABodyOfNearlyTheSameSize()
    {
        var pool = new LargeBufferPool(maxArrayLength: 4 * Mib, maxRetainedBytes: 16 * Mib);
        var first = pool.Rent(1_400_000);
        pool.Return(first);

        var second = pool.Rent(1_400_100);

        Assert.Same(first, second);
        Assert.Equal(0, pool.RetainedBytes);
    }

    [Fact]
    public void Rent_RoundsUpToTheGranularity_SoTheArrayFitsWhatItWasAskedFor()
    {
        var pool = new LargeBufferPool(maxArrayLength: 4 * Mib, maxRetainedBytes: 16 * Mib);

        var array = pool.Rent(LargeBufferPool.Granularity + 1);

        Assert.Equal(2 * LargeBufferPool.Granularity, array.Length);
    }

    [Fact]
    public void Rent_NeitherTooSmallNorMoreThanTwiceTheSize_IsTakenFromThePool()
    {
        var pool = new LargeBufferPool(maxArrayLength: 4 * Mib, maxRetainedBytes: 16 * Mib);
        var small = pool.Rent(Mib);
        var large = pool.Rent(4 * Mib);
        pool.Return(small);
        pool.Return(large);

        var bigger = pool.Rent(Mib + 1);
        var tiny = pool.Rent(100_000);

        Assert.NotSame(small, bigger);
        Assert.NotSame(large, tiny);
        Assert.NotSame(small, tiny);
        Assert.True(bigger.Length >= Mib + 1);
        Assert.Equal(5 * Mib, pool.RetainedBytes);
        // The 4 MiB array serves bodies of 2 to 4 MiB, the 1 MiB array those of 512 KiB to 1 MiB.
        Assert.Same(large, pool.Rent(3 * Mib));
        Assert.Same(small, pool.Rent(Mib));
    }

    [Fact]
    public void Return_KeepsNoMoreThanMaxRetainedBytes_AndNoArrayOverMaxArrayLength()
    {
        var pool = new LargeBufferPool(maxArrayLength: 2 * Mib, maxRetainedBytes: 5 * Mib);
        var arrays = Enumerable.Range(0, 4).Select(_ => pool.Rent(2 * Mib)).ToList();
        var oversized = pool.Rent(3 * Mib);

        arrays.ForEach(pool.Return);
        pool.Return(oversized);

        Assert.Equal(4 * Mib, pool.RetainedBytes);
        Assert.Equal(3 * Mib, oversized.Length);
        Assert.NotSame(oversized, pool.Rent(3 * Mib));
    }
}
