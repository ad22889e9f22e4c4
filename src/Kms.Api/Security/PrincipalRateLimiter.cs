using System.Threading.RateLimiting;
using Kms.Core.Errors;
using Microsoft.Extensions.Options;

namespace Kms.Api.Security;

/// <summary>A token bucket per principal on the cryptographic routes; an empty bucket answers 429 with Retry-After.</summary>
public sealed class PrincipalRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter;

    public PrincipalRateLimiter(IOptions<KmsAuthOptions> options)
    {
        var limits = options.Value.RateLimit;
        // Refill ten times a second when the rate allows it, so a bucket never sits empty for a whole second.
        var (period, tokens) = limits.PermitsPerSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), limits.PermitsPerSecond / 10)
            : (TimeSpan.FromSeconds(1), limits.PermitsPerSecond);
        _limiter = PartitionedRateLimiter.Create<string, string>(principal => RateLimitPartition.GetTokenBucketLimiter(principal,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limits.Burst,
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public void Demand(string principal)
    {
        using var lease = _limiter.AttemptAcquire(principal);
        if (!lease.IsAcquired)
        {
            var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
            throw KmsErrors.Throttled(retryAfter);
        }
    }

    public void Dispose() => _limiter.Dispose();
}
