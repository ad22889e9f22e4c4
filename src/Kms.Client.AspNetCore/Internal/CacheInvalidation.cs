namespace Kms.Client.AspNetCore.Internal;

/// <summary>Calls every registered cache invalidator; shared by the webhook and the poller.</summary>
internal static class CacheInvalidation
{
    public static void EvictKey(IReadOnlyList<IKmsKeyCacheInvalidator> invalidators, string keyId) =>
        EachOf(invalidators, invalidator => invalidator.EvictKey(keyId));

    public static void EvictKeyVersion(IReadOnlyList<IKmsKeyCacheInvalidator> invalidators, string keyId, int version) =>
        EachOf(invalidators, invalidator => invalidator.EvictKeyVersion(keyId, version));

    // One failing cache must not keep the others holding a revoked key: call them all, then report every failure.
    private static void EachOf(IReadOnlyList<IKmsKeyCacheInvalidator> invalidators, Action<IKmsKeyCacheInvalidator> evict)
    {
        List<Exception>? failures = null;
        foreach (var invalidator in invalidators)
        {
            try
            {
                evict(invalidator);
            }
#pragma warning disable CA1031 // Collected and rethrown below.
            catch (Exception e)
#pragma warning restore CA1031
            {
                (failures ??= []).Add(e);
            }
        }

        if (failures is not null)
        {
            throw new AggregateException("A KMS key cache failed to evict.", failures);
        }
    }
}
