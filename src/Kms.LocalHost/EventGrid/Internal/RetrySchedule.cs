namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>Exponential backoff with jitter, for failed deliveries and failed handshakes alike.</summary>
internal static class RetrySchedule
{
    /// <summary>
    /// Wait after the <paramref name="failures"/>-th failure: initial × 2^(failures-1), capped at max, then ±20% so
    /// many events that failed together do not all come back in the same instant.
    /// </summary>
    public static TimeSpan DelayAfter(int failures, TimeSpan initial, TimeSpan max, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);
        // Past 2^20 any sane initial delay is above any sane max; the cap keeps the double from overflowing.
        var exponential = initial.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        var jittered = capped * (0.8 + (0.4 * random.NextDouble()));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, max.TotalMilliseconds));
    }
}
