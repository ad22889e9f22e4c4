using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Kms.Hsm.Pkcs11.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11;

/// <summary>
/// <see cref="IHsm"/> over a PKCS#11 token. Key versions are kept outside the HSM, wrapped under a root
/// key; they are unwrapped on first use into non-extractable session objects whose handles are cached.
/// Every PKCS#11 failure becomes a <see cref="KmsException"/>; return codes are only logged. When the
/// sessions or login are lost, the connection is dropped and reopened on the next call.
/// </summary>
public sealed class Pkcs11Hsm : IHsm, IHsmRootKeys, IDisposable
{
    private const int GcmIvBytes = 12;
    private const int GcmTagBytes = 16;
    private const int HmacSha256Bytes = 32;
    // After a failed connect, callers get an immediate answer for a moment instead of each retrying the device.
    private static readonly TimeSpan ReconnectBackoff = TimeSpan.FromSeconds(1);
    // Fixed lower-case tag values, one per operation, so recording allocates nothing.
    private static readonly string[] OperationNames = Enum.GetNames<HsmOperation>().Select(n => n.ToLowerInvariant()).ToArray();

    private readonly Pkcs11HsmOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly KmsMetrics? _metrics;
    private readonly IDisposable? _gauges;
    private readonly Lock _connectGate = new();
    private TokenConnection? _connection;
    private long _nextConnectAttempt;
    private bool _disposed;

    /// <summary>Creates the connector; it connects to the token on first use, so a host starts even while the HSM is down.</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <param name="options">Token, PIN, pool and cache settings.</param>
    /// <param name="logger">Where failures are logged (return codes only ever go here).</param>
    /// <param name="timeProvider">The clock of the handle cache and the reconnect backoff.</param>
    /// <param name="metrics">The host's instruments: HSM call durations, cache look-ups, session and cache gauges. Optional.</param>
    public Pkcs11Hsm(IOptions<Pkcs11HsmOptions> options, ILogger<Pkcs11Hsm>? logger = null, TimeProvider? timeProvider = null, KmsMetrics? metrics = null)
        : this((options ?? throw new ArgumentNullException(nameof(options))).Value, logger, timeProvider, metrics)
    {
    }

    /// <inheritdoc cref="Pkcs11Hsm(IOptions{Pkcs11HsmOptions}, ILogger{Pkcs11Hsm}?, TimeProvider?, KmsMetrics?)" />
    public Pkcs11Hsm(Pkcs11HsmOptions options, ILogger<Pkcs11Hsm>? logger = null, TimeProvider? timeProvider = null, KmsMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // A private copy: later changes to the caller's object must not half-apply to a live connection.
        _options = options.Clone();
        _logger = logger ?? NullLogger<Pkcs11Hsm>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics;
        _gauges = metrics?.ObserveHsm(new Gauges(this));
    }

    /// <inheritdoc />
    public GeneratedKeyMaterial GenerateKey(KeySpec spec)
    {
        if (!Enum.IsDefined(spec))
        {
            throw KmsErrors.UnsupportedKeySpec($"Key spec {spec} is not supported.");
        }

        return Run(HsmOperation.GenerateKey, key: null, (connection, session, _) =>
        {
            // Read on every call, not cached: once a root rotation switches the root, no new key goes to the old one.
            var label = connection.CurrentRootLabel();
            var root = connection.RootKey(label);
            var (wrapped, publicKey) = spec.IsSymmetric()
                ? (GenerateSecret(session, root, spec), null)
                : GenerateKeyPair(session, root, spec);
            return new GeneratedKeyMaterial(wrapped, publicKey, label);
        });
    }

    /// <inheritdoc />
    public byte[] EncryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        RequireSpec(key, KeySpec.Aes256, "encrypt");
        RequireIv(iv);
        var ivBytes = iv.ToArray();
        var aadBytes = aad.ToArray();
        var data = plaintext.ToArray();
        try
        {
            return Run(HsmOperation.Encrypt, key, (connection, session, handle) =>
            {
                if (connection.SinglePart is { } singlePart)
                {
                    return singlePart.EncryptGcm(session, handle, ivBytes, aadBytes, GcmTagBytes, data);
                }

                using var parameters = session.Factories.MechanismParamsFactory.CreateCkGcmParams(ivBytes, GcmIvBytes * 8, aadBytes, GcmTagBytes * 8);
                using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
                return session.Encrypt(mechanism, handle, data);
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <inheritdoc />
    public byte[] DecryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> encryptedDataAndTag)
    {
        RequireSpec(key, KeySpec.Aes256, "decrypt");
        RequireIv(iv);
        if (encryptedDataAndTag.Length < GcmTagBytes)
        {
            throw KmsErrors.InvalidCiphertext();
        }

        var ivBytes = iv.ToArray();
        var aadBytes = aad.ToArray();
        var data = encryptedDataAndTag.ToArray();
        return Run(HsmOperation.Decrypt, key, (connection, session, handle) =>
        {
            if (connection.SinglePart is { } singlePart)
            {
                return singlePart.DecryptGcm(session, handle, ivBytes, aadBytes, GcmTagBytes, data);
            }

            using var parameters = session.Factories.MechanismParamsFactory.CreateCkGcmParams(ivBytes, GcmIvBytes * 8, aadBytes, GcmTagBytes * 8);
            using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
            return session.Decrypt(mechanism, handle, data);
        });
    }

    /// <inheritdoc />
    public byte[] SignDigest(HsmKeyRef key, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!algorithm.IsCompatibleWith(key.Spec))
        {
            throw KmsErrors.UnsupportedAlgorithm(
                $"{SigningAlgorithmNames.ToWire(algorithm)} cannot be used with a {KeySpecNames.ToWire(key.Spec)} key.");
        }

        if (digest.Length != algorithm.DigestLength())
        {
            throw KmsErrors.Validation($"The digest must be {algorithm.DigestLength()} bytes for {SigningAlgorithmNames.ToWire(algorithm)}.");
        }

        var digestBytes = digest.ToArray();
        return Run(HsmOperation.Sign, key, (connection, session, handle) =>
        {
            if (algorithm.IsEcdsa())
            {
                if (connection.SinglePart is { } singlePart)
                {
                    return Signatures.EcdsaRawToDer(singlePart.Sign(session, handle, CKM.CKM_ECDSA, digestBytes, Signatures.EcdsaRawLength(key.Spec)));
                }

                using var ecdsa = session.Factories.MechanismFactory.Create(CKM.CKM_ECDSA);
                return Signatures.EcdsaRawToDer(session.Sign(ecdsa, handle, digestBytes));
            }

            if (algorithm.IsPss())
            {
                var (hash, mgf, saltLength) = Signatures.PssParameters(algorithm);
                using var parameters = session.Factories.MechanismParamsFactory.CreateCkRsaPkcsPssParams((ulong)hash, (ulong)mgf, saltLength);
                using var pss = session.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_PSS, parameters);
                return session.Sign(pss, handle, digestBytes);
            }

            using var pkcs1 = session.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS);
            return session.Sign(pkcs1, handle, Signatures.DigestInfo(algorithm, digestBytes));
        });
    }

    /// <inheritdoc />
    public byte[] Mac(HsmKeyRef key, ReadOnlySpan<byte> message)
    {
        RequireSpec(key, KeySpec.HmacSha256, "generate a MAC");
        var data = message.ToArray();
        try
        {
            return Run(HsmOperation.Mac, key, (connection, session, handle) =>
            {
                if (connection.SinglePart is { } singlePart)
                {
                    return singlePart.Sign(session, handle, CKM.CKM_SHA256_HMAC, data, HmacSha256Bytes);
                }

                using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_SHA256_HMAC);
                return session.Sign(mechanism, handle, data);
            });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <inheritdoc />
    public byte[] GenerateRandom(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        return Run(HsmOperation.Random, key: null, (_, session, _) => session.GenerateRandom(length));
    }

    /// <inheritdoc />
    public void Evict(string keyId, int? version = null)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        // Only the current connection can hold live handles worth dropping: a retired one closes its owner
        // session, and with it every unwrapped object, as soon as its last operation ends.
        if (Volatile.Read(ref _connection) is { } connection)
        {
            var count = connection.Cache.Evict(keyId, version);
            Log.Evicted(_logger, count, keyId);
        }
    }

    /// <inheritdoc />
    public string GetCurrentRootKeyLabel() => Run(HsmOperation.RootKey, key: null, (connection, _, _) => connection.CurrentRootLabel());

    /// <inheritdoc />
    public IReadOnlyList<string> ListRootKeys() => Run(HsmOperation.RootKey, key: null, (_, session, _) =>
    {
        using var search = KeyTemplates.TokenSecretKeys(session.Factories.ObjectAttributeFactory);
        var labels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var handle in session.FindAllObjects(search.Attributes))
        {
            using var values = new AttributeValues(session, handle, CKA.CKA_LABEL);
            if (values.Bytes(CKA.CKA_LABEL) is { Length: > 0 } bytes && System.Text.Encoding.UTF8.GetString(bytes) is var label
                && RootKeyLabels.InFamily(label, _options.RootKeyLabel))
            {
                labels.Add(label);
            }
        }

        return (IReadOnlyList<string>)[.. labels];
    });

    /// <inheritdoc />
    public bool EnsureRootKey(string label)
    {
        RequireFamily(label);
        return RootKeyCeremony.EnsureRootKey(_options, label, _logger);
    }

    /// <inheritdoc />
    public void SetCurrentRootKey(string label)
    {
        RequireFamily(label);
        Run(HsmOperation.RootKey, key: null, (connection, _, _) =>
        {
            if (connection.TryRootKey(label) is null)
            {
                throw KmsErrors.OperationConflict($"Root key '{label}' does not exist; it cannot become the current root.");
            }

            if (connection.CurrentRootLabel() == label)
            {
                return true;
            }

            return connection.WithReadWriteSession(session =>
            {
                // Create the next generation first, then drop the older pointers: a crash in between leaves two, and
                // readers take the newest (see RootPointer for why the value is never changed in place).
                var existing = RootPointer.ReadAll(session, _options.RootKeyLabel);
                var next = new RootPointer(label, existing.Count == 0 ? 1 : existing.Max(p => p.Pointer.Generation) + 1);
                using var pointer = KeyTemplates.CurrentRootPointer(session.Factories.ObjectAttributeFactory, _options.RootKeyLabel, next);
                session.CreateObject(pointer.Attributes);
                foreach (var (handle, _) in existing)
                {
                    session.DestroyObject(handle);
                }

                Log.CurrentRootSet(_logger, label, _options.TokenLabel);
                return true;
            });
        });
    }

    /// <inheritdoc />
    public byte[]? RewrapKey(HsmKeyRef key, string newRootKeyLabel)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(newRootKeyLabel);
        return Run(HsmOperation.Rewrap, key: null, (connection, session, _) =>
        {
            var newRoot = connection.RootKey(newRootKeyLabel);
            if (UnwrapTemporary(connection, session, key, extractable: true) is not { } temporary)
            {
                return null;
            }

            try
            {
                return Wrap(session, newRoot, temporary);
            }
            finally
            {
                session.DestroyObject(temporary);
            }
        });
    }

    /// <inheritdoc />
    public bool CanUnwrap(HsmKeyRef key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Run(HsmOperation.Rewrap, key: null, (connection, session, _) =>
        {
            if (UnwrapTemporary(connection, session, key, extractable: false) is not { } temporary)
            {
                return false;
            }

            session.DestroyObject(temporary);
            return true;
        });
    }

    /// <inheritdoc />
    public bool DestroyRootKey(string label)
    {
        RequireFamily(label);
        return Run(HsmOperation.RootKey, key: null, (connection, _, _) =>
        {
            if (connection.CurrentRootLabel() == label)
            {
                throw KmsErrors.OperationConflict($"Root key '{label}' is the current root; it cannot be retired.");
            }

            var destroyed = connection.WithReadWriteSession(session =>
            {
                using var search = KeyTemplates.RootKeySearch(session.Factories.ObjectAttributeFactory, label);
                var found = session.FindAllObjects(search.Attributes);
                foreach (var handle in found)
                {
                    session.DestroyObject(handle);
                }

                return found.Count > 0;
            });
            connection.ForgetRootKey(label);
            if (destroyed)
            {
                Log.RootKeyDestroyed(_logger, label, _options.TokenLabel);
            }

            return destroyed;
        });
    }

    /// <inheritdoc />
    public ComponentHealth CheckHealth()
    {
        for (var attempt = 0; ; attempt++)
        {
            TokenConnection connection;
            try
            {
                connection = AcquireConnection();
            }
            catch (KmsException)
            {
                return new ComponentHealth(false, "unavailable", $"Cannot open a logged-in session with token '{_options.TokenLabel}'.");
            }

            var label = _options.RootKeyLabel;
            try
            {
                label = connection.CurrentRootLabel();
                connection.Probe(label);
                return new ComponentHealth(true, "ok", $"Token '{_options.TokenLabel}' logged in; {connection.Cache.Count} key handles cached.");
            }
            catch (Pkcs11Exception ex)
            {
                Log.HealthCheckFailed(_logger, ex.RV);
                if (!Pkcs11Failures.IsConnectionLost(ex.RV))
                {
                    return new ComponentHealth(false, "unavailable", $"The HSM token '{_options.TokenLabel}' does not answer as expected.");
                }

                // Like an operation, the probe gets one fresh connection before the HSM is called down.
                Retire(connection);
                if (attempt > 0)
                {
                    return new ComponentHealth(false, "unavailable", $"The session with token '{_options.TokenLabel}' keeps failing.");
                }
            }
            catch (KmsException)
            {
                return new ComponentHealth(false, "unavailable", $"Root key '{label}' is not usable on token '{_options.TokenLabel}'.");
            }
            finally
            {
                connection.Release();
            }
        }
    }

    public void Dispose()
    {
        _gauges?.Dispose();
        lock (_connectGate)
        {
            _disposed = true;
            if (Interlocked.Exchange(ref _connection, null) is { } connection)
            {
                connection.Retire();
            }
        }
    }

    /// <summary>
    /// Runs one operation on a pooled session (with the key's handle leased when <paramref name="key"/> is
    /// given). If the connection turns out to be lost, it is replaced and the operation tried once more.
    /// </summary>
    private T Run<T>(HsmOperation operation, HsmKeyRef? key, Func<TokenConnection, ISession, IObjectHandle, T> body)
    {
        if (_metrics is null)
        {
            return RunOnce(operation, key, body);
        }

        var started = _time.GetTimestamp();
        var succeeded = false;
        try
        {
            var result = RunOnce(operation, key, body);
            succeeded = true;
            return result;
        }
        finally
        {
            _metrics.HsmOperationCompleted(OperationNames[(int)operation], succeeded, _time.GetElapsedTime(started));
        }
    }

    private T RunOnce<T>(HsmOperation operation, HsmKeyRef? key, Func<TokenConnection, ISession, IObjectHandle, T> body)
    {
        for (var attempt = 0; ; attempt++)
        {
            var connection = AcquireConnection();
            // Which step failed, for the log and for telling a bad ciphertext from a failed unwrap.
            var stage = key is null ? HsmOperation.OpenSession : HsmOperation.Unwrap;
            try
            {
                using var lease = key is null ? default : connection.Cache.Lease(key);
                stage = HsmOperation.OpenSession;
                using var session = connection.Pool.Rent();
                try
                {
                    stage = operation;
                    return body(connection, session.Session, key is null ? null! : lease.Handle);
                }
                catch (Pkcs11Exception)
                {
                    session.MarkBroken();
                    throw;
                }
            }
            catch (Pkcs11Exception ex) when (Pkcs11Failures.IsConnectionLost(ex.RV))
            {
                Log.ConnectionLost(_logger, ex.RV, stage);
                Retire(connection);
                if (attempt == 0)
                {
                    continue;
                }

                throw KmsErrors.HsmUnavailable();
            }
            catch (Pkcs11Exception ex) when (stage == HsmOperation.Decrypt && !Pkcs11Failures.IsHsmFailure(ex.RV))
            {
                Log.DecryptRejected(_logger, key!.KeyId, key.Version, ex.RV);
                throw KmsErrors.InvalidCiphertext();
            }
            catch (Pkcs11Exception ex)
            {
                Log.OperationFailed(_logger, stage, ex.RV, key?.KeyId, key?.Version);
                throw KmsErrors.HsmUnavailable();
            }
            catch (Exception ex) when (ex is not KmsException)
            {
                Log.UnexpectedFailure(_logger, operation, ex);
                throw KmsErrors.HsmUnavailable();
            }
            finally
            {
                connection.Release();
            }
        }
    }

    /// <summary>The current connection with a reference held for the caller, connecting first when there is none.</summary>
    private TokenConnection AcquireConnection()
    {
        while (true)
        {
            var connection = Volatile.Read(ref _connection) ?? Connect();
            if (connection.TryAcquire())
            {
                if (!connection.IsRetired)
                {
                    return connection;
                }

                connection.Release();
            }

            Interlocked.CompareExchange(ref _connection, null, connection);
        }
    }

    private TokenConnection Connect()
    {
        lock (_connectGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connection is { IsRetired: false } current)
            {
                return current;
            }

            if (_time.GetTimestamp() < _nextConnectAttempt)
            {
                throw KmsErrors.HsmUnavailable();
            }

            try
            {
                var connection = TokenConnection.Open(_options, _logger, _time, _metrics);
                Volatile.Write(ref _connection, connection);
                return connection;
            }
            catch (Exception ex)
            {
                _nextConnectAttempt = _time.GetTimestamp() + (long)(ReconnectBackoff.TotalSeconds * _time.TimestampFrequency);
                if (ex is KmsException)
                {
                    throw;
                }

                Log.ConnectFailed(_logger, _options.TokenLabel, _options.LibraryPath, ex);
                throw KmsErrors.HsmUnavailable();
            }
        }
    }

    private void Retire(TokenConnection connection)
    {
        connection.Retire();
        Interlocked.CompareExchange(ref _connection, null, connection);
    }

    private static byte[] GenerateSecret(ISession session, IObjectHandle root, KeySpec spec)
    {
        var factories = session.Factories;
        using var template = KeyTemplates.SecretKeyToGenerate(factories.ObjectAttributeFactory, spec);
        using var generate = factories.MechanismFactory.Create(spec == KeySpec.Aes256 ? CKM.CKM_AES_KEY_GEN : CKM.CKM_GENERIC_SECRET_KEY_GEN);
        var secret = session.GenerateKey(generate, template.Attributes);
        try
        {
            return Wrap(session, root, secret);
        }
        finally
        {
            session.DestroyObject(secret);
        }
    }

    private static (byte[] Wrapped, byte[] PublicKey) GenerateKeyPair(ISession session, IObjectHandle root, KeySpec spec)
    {
        var factories = session.Factories;
        using var publicTemplate = KeyTemplates.PublicKeyToGenerate(factories.ObjectAttributeFactory, spec);
        using var privateTemplate = KeyTemplates.PrivateKeyToGenerate(factories.ObjectAttributeFactory);
        using var generate = factories.MechanismFactory.Create(spec.IsRsa() ? CKM.CKM_RSA_PKCS_KEY_PAIR_GEN : CKM.CKM_EC_KEY_PAIR_GEN);
        session.GenerateKeyPair(generate, publicTemplate.Attributes, privateTemplate.Attributes, out var publicKey, out var privateKey);
        try
        {
            return (Wrap(session, root, privateKey), SubjectPublicKeyInfo(session, publicKey, spec));
        }
        finally
        {
            session.DestroyObject(privateKey);
            session.DestroyObject(publicKey);
        }
    }

    /// <summary>
    /// Unwraps a blob under its own root into a session object of <paramref name="session"/>; null when the root is gone
    /// or the blob does not unwrap (a wrong root and a damaged blob look alike: CKR_GENERAL_ERROR on SoftHSM).
    /// </summary>
    private IObjectHandle? UnwrapTemporary(TokenConnection connection, ISession session, HsmKeyRef key, bool extractable)
    {
        if (connection.TryRootKey(key.RootKeyLabel) is not { } root)
        {
            Log.RootKeyGone(_logger, key.RootKeyLabel, key.KeyId, key.Version);
            return null;
        }

        using var template = KeyTemplates.KeyToUnwrap(session.Factories.ObjectAttributeFactory, key.Spec, extractable);
        using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);
        try
        {
            return session.UnwrapKey(mechanism, root, key.WrappedMaterial.ToArray(), template.Attributes);
        }
        catch (Pkcs11Exception ex) when (!Pkcs11Failures.IsHsmFailure(ex.RV))
        {
            Log.UnwrapRejected(_logger, key.KeyId, key.Version, key.RootKeyLabel, ex.RV);
            return null;
        }
    }

    private void RequireFamily(string label)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        if (!RootKeyLabels.InFamily(label, _options.RootKeyLabel))
        {
            throw KmsErrors.Validation($"'{label}' is not a root key label of this deployment ('{_options.RootKeyLabel}' and its generations).");
        }
    }

    private static byte[] Wrap(ISession session, IObjectHandle root, IObjectHandle key)
    {
        using var wrap = session.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);
        return session.WrapKey(wrap, root, key);
    }

    private static byte[] SubjectPublicKeyInfo(ISession session, IObjectHandle publicKey, KeySpec spec)
    {
        if (spec.IsRsa())
        {
            using var rsa = new AttributeValues(session, publicKey, CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT);
            return PublicKeys.RsaSpki(rsa.Bytes(CKA.CKA_MODULUS)!, rsa.Bytes(CKA.CKA_PUBLIC_EXPONENT)!);
        }

        using var ec = new AttributeValues(session, publicKey, CKA.CKA_EC_PARAMS, CKA.CKA_EC_POINT);
        return PublicKeys.EcSpki(ec.Bytes(CKA.CKA_EC_PARAMS)!, ec.Bytes(CKA.CKA_EC_POINT)!);
    }

    private static void RequireSpec(HsmKeyRef key, KeySpec spec, string operation)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Spec != spec)
        {
            throw KmsErrors.IncorrectKeyUsage(key.KeyId, key.Spec.DefaultUsage(), operation);
        }
    }

    private static void RequireIv(ReadOnlySpan<byte> iv)
    {
        if (iv.Length != GcmIvBytes)
        {
            throw KmsErrors.Validation($"AES-GCM takes a {GcmIvBytes * 8}-bit IV.");
        }
    }

    /// <summary>What the HSM gauges read: the live connection's cache and pool (zero in use while none is open).</summary>
    private sealed class Gauges(Pkcs11Hsm owner) : IHsmGaugeSource
    {
        public long KeyCacheSize => Volatile.Read(ref owner._connection)?.Cache.Count ?? 0;

        public long SessionsInUse => Volatile.Read(ref owner._connection)?.Pool.InUse ?? 0;

        public long SessionsLimit => owner._options.MaxSessions;
    }
}
