using System.Buffers;
using System.Security.Cryptography;

namespace Kms.Api.Http;

/// <summary>
/// A request body held in an array rented from <see cref="ArrayPool{T}.Shared"/>, so a busy host does not make the
/// GC allocate and clear a fresh buffer per request. The body may hold plaintext: the used part is zeroed before
/// the array goes back to the pool.
/// </summary>
internal sealed class PooledBodyBuffer : IDisposable
{
    private byte[] _array;

    public PooledBodyBuffer(int initialSize) => _array = ArrayPool<byte>.Shared.Rent(Math.Max(initialSize, 1));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

    /// <summary>The free part of the array, grown first (rent a bigger one, copy, zero and return the old) when it is full.</summary>
    public Memory<byte> FreeSpace(int maxSize)
    {
        if (Length == _array.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_array.Length * 2, Math.Max(maxSize, _array.Length + 1)));
            _array.AsSpan(0, Length).CopyTo(bigger);
            CryptographicOperations.ZeroMemory(_array.AsSpan(0, Length));
            ArrayPool<byte>.Shared.Return(_array);
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
            CryptographicOperations.ZeroMemory(array.AsSpan(0, Length));
            ArrayPool<byte>.Shared.Return(array);
        }

        Length = 0;
    }
}
