using System.Collections.Concurrent;

namespace Kms.Samples.RevocationSubscriber;

/// <summary>
/// What a typical KMS client keeps: data keys it unwrapped (with Decrypt) so it does not call the KMS for every
/// record, indexed by the KMS key and version that wrapped them. A revocation must empty the matching entries.
/// </summary>
public sealed class DataKeyCache
{
    private readonly ConcurrentDictionary<(string KeyId, int Version, string DataKeyId), byte[]> _entries = new();
    private readonly ConcurrentDictionary<string, bool> _blockedKeys = new(StringComparer.Ordinal);

    public void Add(string keyId, int version, string dataKeyId, byte[] dataKey) => _entries[(keyId, version, dataKeyId)] = dataKey;

    public bool TryGet(string keyId, int version, string dataKeyId, out byte[]? dataKey) => _entries.TryGetValue((keyId, version, dataKeyId), out dataKey);

    public int Count => _entries.Count;

    /// <summary>The key was disabled: forget every data key it protects and stop encrypting new data under it.</summary>
    public int DropKey(string keyId)
    {
        _blockedKeys[keyId] = true;
        return Drop(e => e.KeyId == keyId);
    }

    /// <summary>A version was disabled or revoked: forget the data keys it wrapped.</summary>
    public int DropVersion(string keyId, int version) => Drop(e => e.KeyId == keyId && e.Version == version);

    /// <summary>The key was enabled again: it may be used for new data (cached keys were dropped and are re-fetched).</summary>
    public void Unblock(string keyId) => _blockedKeys.TryRemove(keyId, out _);

    public bool IsBlocked(string keyId) => _blockedKeys.ContainsKey(keyId);

    private int Drop(Func<(string KeyId, int Version, string DataKeyId), bool> match)
    {
        var dropped = 0;
        foreach (var entry in _entries.Keys.Where(match).ToList())
        {
            if (_entries.TryRemove(entry, out var dataKey))
            {
                // Plaintext key bytes: overwrite before letting go of them.
                Array.Clear(dataKey);
                dropped++;
            }
        }

        return dropped;
    }
}
