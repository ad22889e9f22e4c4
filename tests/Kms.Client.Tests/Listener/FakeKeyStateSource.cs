using System.Collections.Concurrent;
using Kms.Client.AspNetCore;

namespace Kms.Client.Tests.Listener;

/// <summary>An <see cref="IKmsKeyStateSource"/> whose answers the test sets per key: a status, null (404), an error, or a hang.</summary>
public sealed class FakeKeyStateSource : IKmsKeyStateSource
{
    private readonly ConcurrentDictionary<string, Func<CancellationToken, Task<KmsKeyStatus?>>> _answers = new(StringComparer.Ordinal);
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Signalled on every call, so tests wait for the poller instead of sleeping.</summary>
    public SemaphoreSlim Called { get; } = new(0);

    public void Set(string keyId, string keyState, params (int Version, string State)[] versions) =>
        _answers[keyId] = _ => Task.FromResult<KmsKeyStatus?>(
            new KmsKeyStatus(keyId, keyState, [.. versions.Select(v => new KmsVersionState(v.Version, v.State))]));

    public void SetNotFound(string keyId) => _answers[keyId] = _ => Task.FromResult<KmsKeyStatus?>(null);

    public void SetFailing(string keyId) => _answers[keyId] = _ => throw new HttpRequestException("KMS unreachable (test)");

    /// <summary>Never answers; only the poller's timeout (or shutdown) ends the call.</summary>
    public void SetHanging(string keyId) => _answers[keyId] = async ct =>
    {
        await Task.Delay(Timeout.Infinite, ct);
        return null;
    };

    public async Task<KmsKeyStatus?> GetKeyStatusAsync(string keyId, CancellationToken cancellationToken)
    {
        // The answer is taken before the test is told about the call, so a test that changes it next affects only later calls.
        var answer = _answers[keyId];
        Interlocked.Increment(ref _calls);
        Called.Release();
        return await answer(cancellationToken);
    }
}
