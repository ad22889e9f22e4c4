namespace Kms.Api.Http;

/// <summary>
/// Keeps a few large arrays (batch request bodies, about 1.4 MB for 1,000 items of 1 KiB) for reuse, up to a fixed
/// total. Without it every batch body was a fresh large-object-heap array, and the host ran a background gen2
/// collection every few requests under batch load (docs/performance.md, ninth round).
/// </summary>
/// <remarks>
/// Not <see cref="System.Buffers.ArrayPool{T}.Shared"/>: it keeps up to 32 arrays per size and core until a full
/// collection, which raised the host's peak RSS under the benchmark from 388 to 462 MiB. Here the total kept is
/// bounded (<see cref="MaxRetainedBytes"/>) and arrays over <see cref="MaxArrayLength"/> are never kept, so a burst of
/// very large bodies leaves nothing behind. The caller zeroes what it wrote before returning an array.
/// </remarks>
internal sealed class LargeBufferPool
{
    /// <summary>Sizes are rounded up to this, so bodies of nearly the same size share arrays.</summary>
    internal const int Granularity = 256 * 1024;

    private readonly object _gate = new();
    private readonly List<byte[]> _free = [];
    private long _retainedBytes;

    public LargeBufferPool(int maxArrayLength, long maxRetainedBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxArrayLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetainedBytes);
        MaxArrayLength = maxArrayLength;
        MaxRetainedBytes = maxRetainedBytes;
    }

    /// <summary>The largest array kept; larger ones are handed out and left to the GC.</summary>
    public int MaxArrayLength { get; }

    /// <summary>The most bytes the free arrays hold together.</summary>
    public long MaxRetainedBytes { get; }

    /// <summary>What the free arrays hold now.</summary>
    public long RetainedBytes
    {
        get
        {
            lock (_gate)
            {
                return _retainedBytes;
            }
        }
    }

    /// <summary>An array of at least <paramref name="size"/> bytes (at most twice that when it is a kept one); its content is not cleared.</summary>
    public byte[] Rent(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        lock (_gate)
        {
            // The smallest kept array that fits, and not one so large that a small body would hold it from a larger one.
            var best = -1;
            for (var i = 0; i < _free.Count; i++)
            {
                var length = _free[i].Length;
                if (length >= size && length / 2 <= size && (best < 0 || length < _free[best].Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                var array = _free[best];
                _free[best] = _free[^1];
                _free.RemoveAt(_free.Count - 1);
                _retainedBytes -= array.Length;
                return array;
            }
        }

        var rounded = (long)size + Granularity - 1 - ((size + (long)Granularity - 1) % Granularity);
        return GC.AllocateUninitializedArray<byte>(size > MaxArrayLength ? size : (int)Math.Min(rounded, Array.MaxLength));
    }

    /// <summary>Takes an array back when it is not too large and the pool has room; otherwise drops it.</summary>
    public void Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length > MaxArrayLength)
        {
            return;
        }

        lock (_gate)
        {
            if (_retainedBytes + array.Length <= MaxRetainedBytes)
            {
                _free.Add(array);
                _retainedBytes += array.Length;
            }
        }
    }
}
