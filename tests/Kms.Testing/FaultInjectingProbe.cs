using System.Collections.Concurrent;
using Kms.Core;
using Kms.Core.Services;

namespace Kms.Testing;

/// <summary>
/// The real canary probe, except for keys a test names: for those it reports a failure, as a broken HSM or bad
/// material would. Registered in the test host only.
/// </summary>
public sealed class FaultInjectingProbe(IKeyVersionProbe inner) : IKeyVersionProbe
{
    private static readonly ConcurrentDictionary<string, bool> Failing = new(StringComparer.Ordinal);

    public static void FailFor(string keyId) => Failing[keyId] = true;

    public ProbeResult Probe(KeyRecord key, KeyVersionRecord version) =>
        Failing.ContainsKey(key.KeyId) ? new ProbeResult(false, "fault injected by the test") : inner.Probe(key, version);
}
