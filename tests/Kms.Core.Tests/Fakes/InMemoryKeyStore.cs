using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;

namespace Kms.Core.Tests.Fakes;

/// <summary>An in-memory key and alias store with ETag semantics, for unit tests of service logic.</summary>
internal sealed class InMemoryKeyStore : IKeyStore, IAliasStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, KeyRecord> _keys = [];
    private readonly Dictionary<(string, int), KeyVersionRecord> _versions = [];
    private readonly Dictionary<string, AliasRecord> _aliases = [];
    private int _etag;

    public int KeyReads { get; private set; }

    /// <summary>Events written with the changes, in order (the outbox of a real store).</summary>
    public List<KmsEvent> Outbox { get; } = [];

    public Task<KeyRecord> CreateKeyAsync(KeyRecord key, KeyVersionRecord firstVersion, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Outbox.AddRange(events);
            var stored = key with { ETag = NextETag() };
            _keys.Add(key.KeyId, stored);
            _versions.Add((key.KeyId, firstVersion.Version), firstVersion with { ETag = NextETag() });
            return Task.FromResult(stored);
        }
    }

    public Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            KeyReads++;
            return Task.FromResult(_keys.GetValueOrDefault(keyId));
        }
    }

    public Task<Page<KeyRecord>> ListKeysAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var skip = continuationToken is null ? 0 : int.Parse(continuationToken, System.Globalization.CultureInfo.InvariantCulture);
            var items = _keys.Values.OrderBy(k => k.KeyId, StringComparer.Ordinal).Skip(skip).Take(pageSize).ToArray();
            var next = skip + items.Length < _keys.Count ? (skip + items.Length).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            return Task.FromResult(new Page<KeyRecord>(items, next));
        }
    }

    public Task<KeyRecord> UpdateKeyAsync(KeyRecord key, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RequireETag(_keys.GetValueOrDefault(key.KeyId)?.ETag, key.ETag, key.KeyId);
            Outbox.AddRange(events);
            var stored = key with { ETag = NextETag() };
            _keys[key.KeyId] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<(KeyRecord Key, KeyVersionRecord Version)> AddVersionAsync(KeyRecord updatedKey, KeyVersionRecord newVersion, IReadOnlyList<KmsEvent> events,
        CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RequireETag(_keys.GetValueOrDefault(updatedKey.KeyId)?.ETag, updatedKey.ETag, updatedKey.KeyId);
            if (_versions.ContainsKey((newVersion.KeyId, newVersion.Version)))
            {
                throw KmsErrors.ConcurrentModification($"Key '{updatedKey.KeyId}'");
            }

            Outbox.AddRange(events);
            var key = updatedKey with { ETag = NextETag() };
            var version = newVersion with { ETag = NextETag() };
            _keys[key.KeyId] = key;
            _versions[(version.KeyId, version.Version)] = version;
            return Task.FromResult((key, version));
        }
    }

    public Task<KeyVersionRecord?> GetVersionAsync(string keyId, int version, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_versions.GetValueOrDefault((keyId, version)));
        }
    }

    public Task<IReadOnlyList<KeyVersionRecord>> ListVersionsAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<KeyVersionRecord>>(_versions.Values.Where(v => v.KeyId == keyId).OrderBy(v => v.Version).ToArray());
        }
    }

    public Task<KeyVersionRecord> UpdateVersionAsync(KeyVersionRecord version, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RequireETag(_versions.GetValueOrDefault((version.KeyId, version.Version))?.ETag, version.ETag, version.KeyId);
            Outbox.AddRange(events);
            var stored = version with { ETag = NextETag() };
            _versions[(version.KeyId, version.Version)] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<Page<KeyVersionRecord>> ListAllVersionsAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var skip = continuationToken is null ? 0 : int.Parse(continuationToken, System.Globalization.CultureInfo.InvariantCulture);
            var all = _versions.Values.OrderBy(v => v.KeyId, StringComparer.Ordinal).ThenBy(v => v.Version).ToArray();
            var items = all.Skip(skip).Take(pageSize).ToArray();
            var next = skip + items.Length < all.Length ? (skip + items.Length).ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            return Task.FromResult(new Page<KeyVersionRecord>(items, next));
        }
    }

    public Task<KeyVersionRecord> ReplaceWrappedMaterialAsync(KeyVersionRecord version, byte[] wrappedMaterial, string rootKeyLabel,
        CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var current = _versions.GetValueOrDefault((version.KeyId, version.Version));
            RequireETag(current?.ETag, version.ETag, version.KeyId);
            var stored = current! with { WrappedMaterial = wrappedMaterial, RootKeyLabel = rootKeyLabel, ETag = NextETag() };
            _versions[(version.KeyId, version.Version)] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(new ComponentHealth(true, "ok"));

    public Task<AliasRecord?> GetAliasAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_aliases.GetValueOrDefault(name));
        }
    }

    public Task<AliasRecord> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_aliases.ContainsKey(alias.Name))
            {
                throw KmsErrors.AliasAlreadyExists(alias.Name);
            }

            var stored = alias with { ETag = NextETag() };
            _aliases[alias.Name] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<AliasRecord> UpdateAliasAsync(AliasRecord alias, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            RequireETag(_aliases.GetValueOrDefault(alias.Name)?.ETag, alias.ETag, alias.Name);
            var stored = alias with { ETag = NextETag() };
            _aliases[alias.Name] = stored;
            return Task.FromResult(stored);
        }
    }

    public Task<bool> DeleteAliasAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_aliases.Remove(name));
        }
    }

    public Task<IReadOnlyList<AliasRecord>> ListAliasesForKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<AliasRecord>>(_aliases.Values.Where(a => a.KeyId == keyId).ToArray());
        }
    }

    private string NextETag() => (++_etag).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void RequireETag(string? stored, string? given, string what)
    {
        if (stored is null || stored != given)
        {
            throw KmsErrors.ConcurrentModification($"'{what}'");
        }
    }
}
