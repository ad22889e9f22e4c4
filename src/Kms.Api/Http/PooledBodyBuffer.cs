using System.Buffers;
using System.Security.Cryptography;

namespace Kms.Api.Http;

/// <summary>
/// A request body held without the GC clearing a fresh buffer per request: a small body (the common single request)
/// in an array rented from <see cref="ArrayPool{T}.Shared"/>; a large one (a batch) in an array of
/// <see cref="LargeBodies"/>, which keeps a bounded few for the next batch. The body may hold plaintext: the used part
/// is zeroed when it is disposed either way.
/// </summary>
internal sealed class PooledBodyBuffer : IDisposable
{
    /// <summary>Arrays up to this size come from the shared pool; larger ones from <see cref="LargeBodies"/>.</summary>
    internal const int MaxPooledSize = 64 * 1024;

    /// <summary>
    /// Larger bodies: up to 16 MiB kept in arrays of up to 4 MiB (a 1,000-item batch of 1 KiB plaintexts is about
    /// 1.4 MB). A body is held only while it is read and parsed, so a few arrays serve many concurrent batches.
    /// </summary>
    internal static readonly LargeBufferPool LargeBodies = new(maxArrayLength: 4 * 1024 * 1024, maxRetainedBytes: 16 * 1024 * 1024);

    private byte[] _array;

    public PooledBodyBuffer(int initialSize) => _array = Acquire(Math.Max(initialSize, 1));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>The free part of the array, grown first (a bigger one, copied, the old one zeroed and released) when it is full.</summary>
    public Memory<byte> FreeSpace(int maxSize)
    {
        if (Length == _array.Length)
        {
            var bigger = Acquire((int)Math.Min((long)_array.Length * 2, Math.Max(maxSize, _array.Length + 1)));
            _array.AsSpan(0, Length).CopyTo(bigger);
            Release(_array, Length);
            _array = bigger;
        }

        return _array.AsMemory(Length);
    }

    public void Advance(int count) => Length += count;

    public void Dispose()
    {
        var array = Interlocked.Exchange(ref _array, []);
        if (array.Length > 0)
        {
            Release(array, Length);
        }

        Length = 0;
    }

    private static byte[] Acquire(int size) =>
        size <= MaxPooledSize ? ArrayPool<byte>.Shared.Rent(size) : LargeBodies.Rent(size);

    private static void Release(byte[] array, int used)
    {
        CryptographicOperations.ZeroMemory(array.AsSpan(0, used));
        // ArrayPool.Shared.Rent(n <= MaxPooledSize) never returns a larger array, so the length says which pool it came from.
        if (array.Length <= MaxPooledSize)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
        else
        {
            LargeBodies.Return(array);
        }
    }
}
