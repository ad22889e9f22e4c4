using System.Collections.Concurrent;
using Kms.Client;

namespace Kms.Client.Tests.Listener;

/// <summary>One call the listener or poller made: a whole key (Version null) or one version.</summary>
public sealed record Eviction(string KeyId, int? Version);

/// <summary>An <see cref="IKmsKeyCacheInvalidator"/> that records its calls; it can be told to fail.</summary>
public sealed class RecordingInvalidator : IKmsKeyCacheInvalidator
{
    public ConcurrentQueue<Eviction> Calls { get; } = new();

    /// <summary>Remaining calls that throw (each failing call is still recorded).</summary>
    public int FailNext { get; set; }

    public void EvictKey(string keyId) => Record(new Eviction(keyId, null));

    public void EvictKeyVersion(string keyId, int version) => Record(new Eviction(keyId, version));

    private void Record(Eviction eviction)
    {
        Calls.Enqueue(eviction);
        if (FailNext > 0)
        {
            FailNext--;
            throw new InvalidOperationException("cache unavailable (test)");
        }
    }
}
