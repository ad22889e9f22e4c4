using Grpc.Core;
using Kms.Client;
using Microsoft.Extensions.Options;

namespace Kms.KubernetesPlugin;

/// <summary>One Status answer: healthz is "ok" or the reason; KeyId is the current (or last known) plugin key id.</summary>
internal sealed record KmsHealth(string Healthz, string KeyId)
{
    public const string Ok = "ok";

    public bool IsHealthy => Healthz == Ok;
}

/// <summary>
/// Health is an encrypt and a decrypt of a fixed probe value on the configured key, so "ok" means the API server's own
/// calls would succeed right now; the answer is reused for <see cref="KubernetesPluginOptions.HealthCacheInterval"/>
/// so the API server's polling does not turn into KMS load. Concurrent Status calls share one probe.
/// </summary>
internal sealed class KmsHealthProbe(KmsClient kms, IOptions<KubernetesPluginOptions> options, TimeProvider time, ILogger<KmsHealthProbe> logger)
{
    // Not secret: it only proves the round trip.
    private static readonly byte[] ProbeValue = "kubernetes-kms-plugin-health-probe"u8.ToArray();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (KmsHealth Health, DateTimeOffset At)? _cached;
    private string _lastKeyId = "";

    public async Task<KmsHealth> CheckAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } fresh)
        {
            return fresh;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } probedMeanwhile)
            {
                return probedMeanwhile;
            }

            var health = await ProbeAsync(cancellationToken);
            _cached = (health, time.GetUtcNow());
            return health;
        }
        finally
        {
            _gate.Release();
        }
    }

    private KmsHealth? Fresh() => _cached is { } c && time.GetUtcNow() - c.At < options.Value.HealthCacheInterval ? c.Health : null;

    private async Task<KmsHealth> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            var encrypted = (await kms.EncryptAsync(options.Value.KeyId, ProbeValue, cancellationToken: cancellationToken)).Value;
            var decrypted = (await kms.DecryptAsync(encrypted.Ciphertext, cancellationToken: cancellationToken)).Value;
            if (!decrypted.Plaintext.AsSpan().SequenceEqual(ProbeValue))
            {
                return Unhealthy("kms decrypt returned a different value than was encrypted");
            }

            _lastKeyId = PluginKeyId.Format(encrypted.KeyId, encrypted.Version);
            return new KmsHealth(KmsHealth.Ok, _lastKeyId);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var rpc = KmsErrorMapper.ToRpcException(e, "health probe");
            var reason = rpc.StatusCode == StatusCode.Unavailable ? rpc.Status.Detail : $"kms error: {rpc.Status.Detail}";
            logger.LogWarning("KMS health probe on key {KeyId} failed: {Reason}", options.Value.KeyId, reason);
            return Unhealthy(reason);
        }
    }

    private KmsHealth Unhealthy(string reason) => new(reason, _lastKeyId);
}
