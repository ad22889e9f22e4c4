using Kms.Client.Envelope.Internal;
using Kms.Client.Telemetry;

namespace Kms.Client.Envelope;

/// <summary>
/// Reuses data keys to save KMS calls. Encrypt side: one data key per (partition, key id or alias, encryption context)
/// is reused for many messages while within <see cref="DataKeyCacheOptions"/>' age, message and byte limits; messages
/// whose length is unknown in advance (non-seekable streams) always get a fresh key. Decrypt side: an unwrapped data
/// key is reused, for <see cref="DataKeyCacheOptions.MaxAge"/>, for messages with the same wrapped key and context.
/// Messages sharing a cached data key share its content key too (format version 2), each under its own message number,
/// so reuse never repeats a key and nonce pair (see docs/envelope-format.md). The trade-off: a key the KMS disabled or revoked keeps working locally until MaxAge passes or
/// <see cref="EvictKey"/> / <see cref="EvictKeyVersion"/> is called.
/// </summary>
public sealed class CachingCryptoMaterialsManager : ICryptoMaterialsManager, IKmsKeyCacheInvalidator, IDisposable
{
    private readonly KmsKeyring _keyring;
    private readonly DefaultCryptoMaterialsManager _inner;
    private readonly DataKeyCache _cache;
    private readonly bool _ownsCache;
    private readonly TimeSpan _maxAge;
    private readonly long _maxMessages;
    private readonly long _maxBytes;
    private readonly string _partitionId;

    /// <summary>A manager with its own cache of <see cref="DataKeyCacheOptions.Capacity"/> entries per side.</summary>
    public CachingCryptoMaterialsManager(KmsKeyring keyring, DataKeyCacheOptions options, TimeProvider? timeProvider = null)
        : this(keyring, options, new DataKeyCache(ValidCapacity(options), timeProvider), ownsCache: true)
    {
    }

    /// <summary>A manager on a shared cache (its capacity and clock apply; <see cref="DataKeyCacheOptions.Capacity"/> does not).</summary>
    public CachingCryptoMaterialsManager(KmsKeyring keyring, DataKeyCacheOptions options, DataKeyCache cache)
        : this(keyring, options, cache, ownsCache: false)
    {
    }

    private CachingCryptoMaterialsManager(KmsKeyring keyring, DataKeyCacheOptions options, DataKeyCache cache, bool ownsCache)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cache);
        options.Validate();
        _keyring = keyring;
        _inner = new DefaultCryptoMaterialsManager(keyring);
        _cache = cache;
        _ownsCache = ownsCache;
        _maxAge = options.MaxAge;
        _maxMessages = options.MaxMessagesEncrypted;
        _maxBytes = options.MaxBytesEncrypted;
        _partitionId = options.PartitionId ?? Guid.NewGuid().ToString("N");
    }

    public async Task<EncryptionMaterials> GetEncryptionMaterialsAsync(EncryptionMaterialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DefaultCryptoMaterialsManager.EnsureSupported(request.Suite);

        // Without a length the byte limit cannot be enforced before encrypting, and a message larger than the limit
        // could never share its key anyway.
        if (request.PlaintextLength is not { } length || length > _maxBytes)
        {
            return await _inner.GetEncryptionMaterialsAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var cacheKey = CacheKeys.ForEncryption(_partitionId, _keyring.KeyIdOrAlias, request.Suite, request.GetCanonicalContext());
        var cached = _cache.Encryption.TryUseForEncryption(cacheKey, length, _maxMessages, _maxBytes, request.Suite, out var contentKey);
        ClientMetrics.DataKeyCacheLookup(encrypt: true, hit: cached is not null);
        if (cached is not null)
        {
            return new EncryptionMaterials(request.Suite, request.EncryptionContext, cached) { ContentKeyLease = contentKey };
        }

        var epoch = _cache.Encryption.EvictionEpoch;
        var materials = await _inner.GetEncryptionMaterialsAsync(request, cancellationToken).ConfigureAwait(false);
        var dataKey = materials.DataKey;
        _cache.Encryption.Add(cacheKey, dataKey with { Plaintext = (byte[])dataKey.Plaintext.Clone() }, _maxAge, epoch, messages: 1, bytes: length);
        return materials;
    }

    public async Task<DecryptionMaterials> DecryptMaterialsAsync(DecryptionMaterialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        DefaultCryptoMaterialsManager.EnsureSupported(request.Suite);

        var cacheKey = CacheKeys.ForDecryption(_partitionId, request.Suite, request.EncryptedDataKeys, CanonicalEncryptionContext.Encode(request.EncryptionContext));
        var cached = _cache.Decryption.TryUse(cacheKey, bytes: 0, maxMessages: long.MaxValue, maxBytes: long.MaxValue);
        ClientMetrics.DataKeyCacheLookup(encrypt: false, hit: cached is not null);
        if (cached is not null)
        {
            return new DecryptionMaterials(request.Suite, cached);
        }

        var epoch = _cache.Decryption.EvictionEpoch;
        var materials = await _inner.DecryptMaterialsAsync(request, cancellationToken).ConfigureAwait(false);
        var dataKey = materials.DataKey;
        _cache.Decryption.Add(cacheKey, dataKey with { Plaintext = (byte[])dataKey.Plaintext.Clone() }, _maxAge, epoch, messages: 1, bytes: 0);
        return materials;
    }

    /// <inheritdoc cref="DataKeyCache.EvictKey"/>
    public void EvictKey(string keyId) => _cache.EvictKey(keyId);

    /// <inheritdoc cref="DataKeyCache.EvictKeyVersion"/>
    public void EvictKeyVersion(string keyId, int version) => _cache.EvictKeyVersion(keyId, version);

    /// <summary>Zeroes and drops the cache if this manager created it; a shared cache belongs to its creator.</summary>
    public void Dispose()
    {
        if (_ownsCache)
        {
            _cache.Dispose();
        }
    }

    private static int ValidCapacity(DataKeyCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options.Capacity;
    }
}
