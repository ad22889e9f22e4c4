using System.Collections.Concurrent;
using Kms.Core.Errors;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// A bounded set of operation sessions. A PKCS#11 session runs one operation at a time, so each caller
/// gets one to itself; sessions are opened on demand and reused.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly ISlot _slot;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<ISession> _idle = [];
    private readonly TimeSpan _waitTimeout;
    private readonly int _size;
    private readonly ILogger _logger;
    private volatile bool _disposed;

    public SessionPool(ISlot slot, int size, TimeSpan waitTimeout, ILogger logger)
    {
        _slot = slot;
        _size = size;
        _slots = new SemaphoreSlim(size, size);
        _waitTimeout = waitTimeout;
        _logger = logger;
    }

    /// <summary>The pool's bound.</summary>
    public int Size => _size;

    /// <summary>Sessions rented by operations now.</summary>
    public int InUse => _size - _slots.CurrentCount;

    public PooledSession Rent()
    {
        if (!_slots.Wait(_waitTimeout))
        {
            Log.SessionWaitTimedOut(_logger, _waitTimeout, _size);
            throw KmsErrors.HsmUnavailable();
        }

        if (_idle.TryTake(out var session))
        {
            return new PooledSession(this, session);
        }

        try
        {
            // Read-only is enough: operation sessions only use keys and create session objects.
            return new PooledSession(this, _slot.OpenSession(SessionType.ReadOnly));
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public void Return(ISession session, bool broken)
    {
        if (broken || _disposed)
        {
            // A failed call may leave an operation active in the session; a fresh session is cheaper than finding out.
            Close(session);
        }
        else
        {
            _idle.Add(session);
        }

        _slots.Release();
    }

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var session))
        {
            Close(session);
        }
    }

    private static void Close(ISession session)
    {
        try
        {
            session.Dispose();
        }
        catch (Pkcs11Exception)
        {
            // The session is already gone with its token or connection.
        }
    }
}

/// <summary>One rented session; disposing returns it to the pool, or closes it after a failure.</summary>
internal sealed class PooledSession : IDisposable
{
    private readonly SessionPool _pool;
    private bool _broken;

    public PooledSession(SessionPool pool, ISession session)
    {
        _pool = pool;
        Session = session;
    }

    public ISession Session { get; }

    public void MarkBroken() => _broken = true;

    public void Dispose() => _pool.Return(Session, _broken);
}
