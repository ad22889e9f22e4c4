using System.Collections.Concurrent;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// Everything that lives and dies with one login to the token: the owner session that holds every
/// unwrapped key object (session objects die with the session that created them), the operation session
/// pool, the handle cache and the root key handles. When any of it fails the whole connection is retired
/// and a new one is opened; the old one closes once its last operation has finished with it.
/// </summary>
internal sealed class TokenConnection : IDisposable
{
    private readonly Pkcs11HsmOptions _options;
    private readonly ILogger _logger;
    private readonly ISession _owner;
    // A session runs one call at a time; unwrap, destroy and root look-ups share the owner session.
    private readonly Lock _ownerLock = new();
    private readonly ConcurrentDictionary<string, IObjectHandle> _rootKeys = new(StringComparer.Ordinal);
    // One reference is the connection's own (dropped by Retire); each operation holds one more.
    private int _references = 1;
    private int _retired;
    private bool _disposed;

    private TokenConnection(ISlot slot, ISession owner, Pkcs11HsmOptions options, ILogger logger, TimeProvider time, KmsMetrics? metrics)
    {
        Slot = slot;
        SinglePart = Pkcs11Runtime.GetSinglePartCalls(options.LibraryPath);
        _owner = owner;
        _options = options;
        _logger = logger;
        Pool = new SessionPool(slot, options.MaxSessions, options.SessionWaitTimeout, logger);
        Cache = new KeyHandleCache(Unwrap, DestroyKeyObject, time, options.HandleCacheTtl, options.HandleCacheSize, logger, metrics);
    }

    public ISlot Slot { get; }

    public SessionPool Pool { get; }

    /// <summary>One-call encrypt, decrypt and sign on this platform, or null: then the high-level calls.</summary>
    public SinglePartCalls? SinglePart { get; }

    public KeyHandleCache Cache { get; }

    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Finds the token by label, opens the owner session and logs in.</summary>
    public static TokenConnection Open(Pkcs11HsmOptions options, ILogger logger, TimeProvider time, KmsMetrics? metrics = null)
    {
        var library = Pkcs11Runtime.GetLibrary(options.LibraryPath);
        var slot = FindSlot(library, options.TokenLabel);
        if (slot is null)
        {
            Log.TokenNotFound(logger, options.TokenLabel);
            throw KmsErrors.HsmUnavailable();
        }

        var owner = slot.OpenSession(SessionType.ReadOnly);
        try
        {
            Login(owner, options.UserPin);
            var connection = new TokenConnection(slot, owner, options, logger, time, metrics);
            Log.Connected(logger, options.TokenLabel, slot.SlotId, options.MaxSessions);
            return connection;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    /// <summary>The slot whose token carries <paramref name="tokenLabel"/>; slot ids change when a token is initialised, labels do not.</summary>
    public static ISlot? FindSlot(IPkcs11Library library, string tokenLabel)
    {
        foreach (var slot in library.GetSlotList(SlotsType.WithTokenPresent))
        {
            if (string.Equals(LabelOf(slot), tokenLabel, StringComparison.Ordinal))
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>
    /// The label of the slot's token, or null when the token does not answer: another token of the module that is gone
    /// or broken (SoftHSM 2.6 answers CKR_GENERAL_ERROR for one whose files were removed) must not hide ours.
    /// </summary>
    private static string? LabelOf(ISlot slot)
    {
        try
        {
            return slot.GetTokenInfo().Label.TrimEnd(' ', '\0');
        }
        catch (Pkcs11Exception)
        {
            return null;
        }
    }

    /// <summary>Logs the user in; login state is per application and token, so another session may have done it already.</summary>
    public static void Login(ISession session, string pin)
    {
        try
        {
            session.Login(CKU.CKU_USER, pin);
        }
        catch (Pkcs11Exception ex) when (ex.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
        }
    }

    public bool TryAcquire() => ReferenceCount.TryAdd(ref _references);

    public void Release()
    {
        if (ReferenceCount.Release(ref _references))
        {
            Dispose();
        }
    }

    /// <summary>Stops handing this connection out; it closes when the operations still using it finish.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>The handle of a root key, found by label among the token's secret keys and then remembered.</summary>
    public IObjectHandle RootKey(string label)
    {
        if (_rootKeys.TryGetValue(label, out var cached))
        {
            return cached;
        }

        List<IObjectHandle> found;
        lock (_ownerLock)
        {
            using var search = KeyTemplates.RootKeySearch(_owner.Factories.ObjectAttributeFactory, label);
            found = _owner.FindAllObjects(search.Attributes);
            if (found.Count == 0 && !IsLoggedIn())
            {
                // Private objects are invisible once logged out (someone called C_Logout): reconnect rather
                // than report the root key missing.
                Log.LoggedOut(_logger);
                throw new Pkcs11Exception("C_FindObjects", CKR.CKR_USER_NOT_LOGGED_IN);
            }
        }

        switch (found.Count)
        {
            case 1:
                return _rootKeys.GetOrAdd(label, found[0]);
            case 0:
                Log.RootKeyMissing(_logger, label, _options.TokenLabel);
                throw KmsErrors.HsmUnavailable();
            default:
                Log.RootKeyAmbiguous(_logger, found.Count, _options.TokenLabel, label);
                throw KmsErrors.HsmUnavailable();
        }
    }

    /// <summary>The handle of a root key, or null when no key carries the label (a retired root, or one never made).</summary>
    public IObjectHandle? TryRootKey(string label) => _rootKeys.ContainsKey(label) || CountRootKeys(label) > 0 ? RootKey(label) : null;

    /// <summary>Drops the remembered handle of a root key that was destroyed.</summary>
    public void ForgetRootKey(string label) => _rootKeys.TryRemove(label, out _);

    /// <summary>
    /// The label of the current root, from the pointer object on the token (<see cref="KeyTemplates.CurrentRootPointerSearch"/>),
    /// or the configured label when the token has none (no root rotation ever ran).
    /// </summary>
    public string CurrentRootLabel()
    {
        lock (_ownerLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ReadCurrentRootLabel(_owner, _options) ?? _options.RootKeyLabel;
        }
    }

    /// <summary>The label the token's newest pointer object names, or null when there is none.</summary>
    public static string? ReadCurrentRootLabel(ISession session, Pkcs11HsmOptions options) =>
        RootPointer.ReadCurrent(session, options.RootKeyLabel)?.Label;

    /// <summary>Runs <paramref name="body"/> on a fresh read-write session (token objects can only be made or destroyed in one), then closes it.</summary>
    public T WithReadWriteSession<T>(Func<ISession, T> body)
    {
        // Closing (not logging out): a logout would end the login of every session of this process.
        using var session = Slot.OpenSession(SessionType.ReadWrite);
        return body(session);
    }

    /// <summary>Reports whether the owner session is alive and logged in and the root key is present.</summary>
    public void Probe(string rootKeyLabel)
    {
        lock (_ownerLock)
        {
            if (!IsLoggedIn())
            {
                throw new Pkcs11Exception("C_GetSessionInfo", CKR.CKR_USER_NOT_LOGGED_IN);
            }
        }

        RootKey(rootKeyLabel);
    }

    public void Dispose()
    {
        lock (_ownerLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Cache.Dispose();
            Pool.Dispose();
            try
            {
                // Closing the owner session destroys every key object unwrapped into it.
                _owner.Dispose();
            }
            catch (Pkcs11Exception)
            {
                // Already gone with the token.
            }
        }
    }

    private int CountRootKeys(string label)
    {
        lock (_ownerLock)
        {
            using var search = KeyTemplates.RootKeySearch(_owner.Factories.ObjectAttributeFactory, label);
            var count = _owner.FindAllObjects(search.Attributes).Count;
            if (count == 0 && !IsLoggedIn())
            {
                // Logged out, private objects are invisible: that says nothing about the root.
                throw new Pkcs11Exception("C_FindObjects", CKR.CKR_USER_NOT_LOGGED_IN);
            }

            return count;
        }
    }

    private bool IsLoggedIn() => _owner.GetSessionInfo().State is CKS.CKS_RO_USER_FUNCTIONS or CKS.CKS_RW_USER_FUNCTIONS;

    private IObjectHandle Unwrap(HsmKeyRef key)
    {
        var root = RootKey(key.RootKeyLabel);
        var factories = _owner.Factories;
        using var template = KeyTemplates.KeyToUnwrap(factories.ObjectAttributeFactory, key.Spec);
        using var mechanism = factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);
        var wrapped = key.WrappedMaterial.ToArray();
        IObjectHandle handle;
        lock (_ownerLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            handle = _owner.UnwrapKey(mechanism, root, wrapped, template.Attributes);
        }

        Log.KeyUnwrapped(_logger, key.KeyId, key.Version);
        return handle;
    }

    private void DestroyKeyObject(IObjectHandle handle)
    {
        lock (_ownerLock)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                _owner.DestroyObject(handle);
            }
            catch (Pkcs11Exception ex)
            {
                Log.DestroyFailed(_logger, ex.RV);
            }
            catch (Exception ex)
            {
                // Runs when a lease ends, after the operation succeeded: never turn that into a failure.
                Log.DestroyFailedUnexpectedly(_logger, ex);
            }
        }
    }
}
