using System.Text.Json;

namespace Kms.Client.AspNetCore.Internal;

/// <summary>What one event asks of the caches.</summary>
internal readonly record struct EvictionOrder(KmsCacheEviction Eviction, string? KeyId, int? Version);

/// <summary>
/// Maps a KMS event to the eviction it calls for (docs/revocation-subscribers.md). Only the data fields that name the key and
/// version are read, matching the KMS's event data records (camelCase <c>keyId</c>, <c>version</c>).
/// </summary>
internal static class KmsEventClassifier
{
    /// <summary>False when an event of a type the listener acts on lacks the key (or version) it must evict.</summary>
    public static bool TryClassify(ReceivedCloudEvent received, out EvictionOrder order, out string? problem)
    {
        order = new(KmsCacheEviction.None, null, null);
        problem = null;
        var kind = received.Type switch
        {
            KmsEventTypes.KeyDisabled or KmsEventTypes.KeyDeletionScheduled => KmsCacheEviction.Key,
            KmsEventTypes.KeyVersionDisabled or KmsEventTypes.KeyVersionRevoked or KmsEventTypes.KeyRotationFailed => KmsCacheEviction.KeyVersion,
            // A destroyed key carries key data (no version), a destroyed revoked version carries version data.
            KmsEventTypes.KeyDestroyed => received.Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("version", out _)
                ? KmsCacheEviction.KeyVersion
                : KmsCacheEviction.Key,
            // Unknown or informational types: accepted and ignored, so a newer KMS's types do not break this subscriber.
            _ => KmsCacheEviction.None,
        };
        if (kind == KmsCacheEviction.None)
        {
            return true;
        }

        if (received.Data is not { ValueKind: JsonValueKind.Object } data)
        {
            problem = "has no JSON object as data";
            return false;
        }

        if (!data.TryGetProperty("keyId", out var keyIdElement) || keyIdElement.ValueKind != JsonValueKind.String
            || keyIdElement.GetString() is not { Length: > 0 } keyId)
        {
            problem = "has no data.keyId";
            return false;
        }

        if (kind == KmsCacheEviction.Key)
        {
            order = new(kind, keyId, null);
            return true;
        }

        if (!data.TryGetProperty("version", out var versionElement) || !versionElement.TryGetInt32ForVersion(out var version))
        {
            problem = "has no positive integer data.version";
            return false;
        }

        order = new(kind, keyId, version);
        return true;
    }

    private static bool TryGetInt32ForVersion(this JsonElement element, out int version)
    {
        version = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out version) && version > 0;
    }
}
