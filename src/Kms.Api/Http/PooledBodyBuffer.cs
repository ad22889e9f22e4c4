using System.Buffers;
using System.Security.Cryptography;

namespace Kms.Api.Http;

/// <summary>
/// A request body held without the GC clearing a fresh buffer per request: a small body (the common single request)
/// in an array rented from <see cref="ArrayPool{T}.Shared"/>; a large one (a batch) in an array allocated without
/// zeroing and left to the GC. The body may hold plaintext: the used part is zeroed when it is disposed either way.
/// </summary>
/// <remarks>
/// Large bodies are not pooled because the shared pool keeps what it is given per core until a full collection:
/// pooling the 2 MiB arrays of 16 concurrent batch requests raised the host's peak RSS under the benchmark from
/// 388 to 462 MiB (docs/performance.md), while the allocation they would save is a small part of a 1,000-item request.
/// </remarks>
internal sealed class PooledBodyBuffer : IDisposable
{
    /// <summary>Arrays up to this size come from the pool; larger ones are allocated.</summary>
    internal const int MaxPooledSize = 64 * 1024;

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
        size <= MaxPooledSize ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    private static void Release(byte[] array, int used)
    {
        CryptographicOperations.ZeroMemory(array.AsSpan(0, used));
        // Only arrays the pool handed out go back: ArrayPool.Shared.Rent(n <= MaxPooledSize) never returns a larger one.
        if (array.Length <= MaxPooledSize)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
