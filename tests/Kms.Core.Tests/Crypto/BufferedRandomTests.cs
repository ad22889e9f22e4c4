using System.Collections.Concurrent;
using Kms.Core.Crypto;

namespace Kms.Core.Tests.Crypto;

public sealed class BufferedRandomTests
{
    [Fact]
    public void ManyIvs_AcrossBlockBoundaries_AreAllDistinct()
    {
        // 12-byte IVs do not divide the 4 KiB block: each refill leaves 4 bytes unused, which must not be reused either.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> iv = stackalloc byte[12];
        for (var i = 0; i < 20_000; i++)
        {
            BufferedRandom.Fill(iv);
            Assert.True(seen.Add(Convert.ToHexString(iv)), $"IV {i} repeated an earlier one");
        }
    }

    [Fact]
    public void IvsOfConcurrentThreads_AreAllDistinct()
    {
        var seen = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var repeats = 0;
        Parallel.For(0, 8, _ =>
        {
            var iv = new byte[12];
            for (var i = 0; i < 5_000; i++)
            {
                BufferedRandom.Fill(iv);
                if (!seen.TryAdd(Convert.ToHexString(iv), true))
                {
                    Interlocked.Increment(ref repeats);
                }
            }
        });

        Assert.Equal(0, repeats);
        Assert.Equal(40_000, seen.Count);
    }

    [Fact]
    public void LongerThanABlock_IsFilledWhole()
    {
        var buffer = new byte[10_000];
        BufferedRandom.Fill(buffer);
        // 10,000 random bytes with a run of 64 zero bytes anywhere: a part left unfilled.
        Assert.DoesNotContain(Enumerable.Range(0, buffer.Length - 64), start => buffer.AsSpan(start, 64).IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void NewId_Is32LowercaseHexDigits_NeverRepeated()
    {
        var ids = Enumerable.Range(0, 1_000).Select(_ => BufferedRandom.NewId()).ToList();
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }
}
