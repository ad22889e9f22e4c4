using Kms.Core.Errors;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Services;

/// <summary>
/// Read side of the key store for the hot path: resolves ids and aliases and keeps metadata for
/// <see cref="KmsOptions.MetadataCacheTtl"/>. Writers call <see cref="Invalidate"/> so this instance sees
/// its own changes at once.
/// </summary>
public sealed class KeyCatalog
{
    private readonly IKeyStore _keys;
    private readonly IAliasStore _aliases;
    private readonly ExpiringCache<string, KeyRecord> _keyCache;
    private readonly ExpiringCache<(string KeyId, int Version), KeyVersionRecord> _versionCache;
    private readonly ExpiringCache<string, string> _aliasCache;

    public KeyCatalog(IKeyStore keys, IAliasStore aliases, TimeProvider time, IOptions<KmsOptions> options)
    {
        _keys = keys;
        _aliases = aliases;
        var o = options.Value;
        _keyCache = new(time, o.MetadataCacheTtl, o.MetadataCacheSize);
        _versionCache = new(time, o.MetadataCacheTtl, o.MetadataCacheSize);
        _aliasCache = new(time, o.MetadataCacheTtl, o.MetadataCacheSize);
    }

    /// <summary>Finds a key by id or alias; raises KeyNotFound.</summary>
    public async ValueTask<KeyRecord> ResolveAsync(string keyIdOrAlias, CancellationToken cancellationToken)
    {
        if (KeyIdentifiers.TryParseKeyId(keyIdOrAlias, out var keyId))
        {
            return await GetKeyAsync(keyId, cancellationToken);
        }

        if (!_aliasCache.TryGet(keyIdOrAlias, out keyId))
        {
            var alias = await _aliases.GetAliasAsync(keyIdOrAlias, cancellationToken) ?? throw KmsErrors.KeyNotFound(keyIdOrAlias);
            keyId = alias.KeyId;
            _aliasCache.Set(keyIdOrAlias, keyId);
        }

        return await GetKeyAsync(keyId, cancellationToken);
    }

    public async ValueTask<KeyRecord> GetKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        if (_keyCache.TryGet(keyId, out var key))
        {
            return key;
        }

        key = await _keys.GetKeyAsync(keyId, cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        _keyCache.Set(keyId, key);
        return key;
    }

    public async ValueTask<KeyVersionRecord> GetVersionAsync(string keyId, int version, CancellationToken cancellationToken)
    {
        if (_versionCache.TryGet((keyId, version), out var record))
        {
            return record;
        }

        record = await _keys.GetVersionAsync(keyId, version, cancellationToken) ?? throw KmsErrors.KeyVersionNotFound(keyId, version);
        _versionCache.Set((keyId, version), record);
        return record;
    }

    public void Invalidate(string keyId)
    {
        _keyCache.Remove(keyId);
        _versionCache.RemoveWhere(k => k.KeyId == keyId);
    }

    public void InvalidateAlias(string alias) => _aliasCache.Remove(alias);
}
