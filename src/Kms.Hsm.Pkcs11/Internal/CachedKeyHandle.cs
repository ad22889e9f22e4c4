using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// An unwrapped key object, reference-counted so that it is destroyed only when the cache has let go of it
/// and no operation still uses it: an operation never works on a destroyed (or reused) handle.
/// </summary>
internal sealed class CachedKeyHandle
{
    private readonly Action<IObjectHandle> _destroy;
    // One reference belongs to the cache until Detach; one is reserved for the caller that triggered the load.
    private int _references = 2;
    private int _detached;
    private int _loaderClaimed;

    public CachedKeyHandle(IObjectHandle handle, long expiresAt, Action<IObjectHandle> destroy)
    {
        Handle = handle;
        ExpiresAt = expiresAt;
        _destroy = destroy;
    }

    public IObjectHandle Handle { get; }

    /// <summary>Timestamp (TimeProvider units) after which the cache no longer hands the handle out.</summary>
    public long ExpiresAt { get; }

    /// <summary>
    /// Takes the reference set aside at load time. It guarantees the loading caller a usable handle even when
    /// an eviction raced with the unwrap, so a miss always makes progress.
    /// </summary>
    public bool TryClaimLoaderReference() => Interlocked.Exchange(ref _loaderClaimed, 1) == 0;

    /// <summary>Adds a reference unless the object is already on its way to destruction.</summary>
    public bool TryAddReference() => ReferenceCount.TryAdd(ref _references);

    public void Release()
    {
        if (ReferenceCount.Release(ref _references))
        {
            _destroy(Handle);
        }
    }

    /// <summary>Drops the cache's reference (once); the object is destroyed when the last lease ends.</summary>
    public void Detach()
    {
        if (Interlocked.Exchange(ref _detached, 1) == 0)
        {
            Release();
        }
    }
}

/// <summary>A key handle held for the length of one operation.</summary>
internal readonly struct KeyLease : IDisposable
{
    private readonly CachedKeyHandle? _entry;

    public KeyLease(CachedKeyHandle entry) => _entry = entry;

    public IObjectHandle Handle => _entry?.Handle ?? throw new InvalidOperationException("Empty key lease.");

    public void Dispose() => _entry?.Release();
}
