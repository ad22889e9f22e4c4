using Azure.Core;

namespace Kms.Client;

/// <summary>Options of <see cref="KmsClient"/>: Azure.Core's transport, retry and diagnostics settings plus the KMS's own.</summary>
/// <remarks>
/// Retries come from <see cref="ClientOptions.Retry"/> (Azure.Core's retry policy): transport failures and the responses
/// 408, 429, 500, 502, 503 and 504 are retried with exponential back-off, and a <c>Retry-After</c> header the KMS sends
/// with <c>429 Throttled</c> or <c>503 …Unavailable</c> sets the wait instead.
/// </remarks>
public class KmsClientOptions : ClientOptions
{
    /// <summary>The audience the KMS validates (<c>Kms:Auth:Audience</c> on the server; <c>api://kms</c> by default).</summary>
    public const string DefaultAudience = "api://kms";

    /// <summary>The KMS API version this client speaks.</summary>
    public enum ServiceVersion
    {
        /// <summary>The API described in docs/api.md (routes under <c>/api</c>).</summary>
        V1 = 1,
    }

    public KmsClientOptions(ServiceVersion version = ServiceVersion.V1)
    {
        Version = version;
    }

    public ServiceVersion Version { get; }

    /// <summary>The token audience; the scope requested from the credential is <c>{Audience}/.default</c> unless
    /// <see cref="Scope"/> is set. With Entra ID this is the KMS app registration's Application ID URI.</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>The scope to request tokens for, when it is not <c>{Audience}/.default</c>.</summary>
    public string? Scope { get; set; }

    /// <summary>Fail fast while the KMS is down, instead of every call waiting for its retries.</summary>
    public KmsCircuitBreakerOptions CircuitBreaker { get; } = new();

    internal string EffectiveScope => Scope ?? Audience.TrimEnd('/') + "/.default";
}

/// <summary>Settings of the client-side circuit breaker (see <see cref="KmsClient.CircuitOpenErrorCode"/>).</summary>
public sealed class KmsCircuitBreakerOptions
{
    /// <summary>When false every call goes to the network, however many failed before.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Consecutive failed calls (transport failure or 5xx, each after its retries) that open the circuit.</summary>
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long the circuit stays open before one probe call is let through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock of the breaker; tests replace it with a fake.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (FailureThreshold < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FailureThreshold), "The failure threshold must be at least 1.");
        }

        if (BreakDuration <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(BreakDuration), "The break duration must be positive.");
        }
    }
}
