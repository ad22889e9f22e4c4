using System.Diagnostics;

namespace Kms.Bench;

/// <summary>Collects per-operation latencies from many workers and summarises them.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double>[] _perWorker;

    public LatencyRecorder(int workers) => _perWorker = Enumerable.Range(0, workers).Select(_ => new List<double>(1 << 16)).ToArray();

    public void Record(int worker, long startTimestamp) =>
        _perWorker[worker].Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    /// <summary>Operations, rate and percentiles of what was recorded over <paramref name="elapsed"/>.</summary>
    public Measurement Measure(string name, int concurrency, TimeSpan elapsed, int errors)
    {
        var all = _perWorker.SelectMany(l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        return new Measurement(name, concurrency, all.Length, all.Length / elapsed.TotalSeconds, P(0.50), P(0.95), P(0.99), errors);
    }

    public string Summarise(string name, int concurrency, TimeSpan elapsed, int errors) => Measure(name, concurrency, elapsed, errors).ToString();
}

/// <summary>
/// One measured run, or the median of several (<see cref="RunRates"/>: every run's rate, in order): its printed line is
/// <see cref="ToString"/>.
/// </summary>
internal sealed record Measurement(string Name, int Concurrency, int Ops, double OpsPerSecond, double P50, double P95, double P99, int Errors)
{
    public IReadOnlyList<double> RunRates { get; init; } = [];

    /// <summary>The CPU each process of the stack spent per operation in this run ("" when not metered).</summary>
    public string CpuPerOperation { get; init; } = "";

    public override string ToString() => FormattableString.Invariant(
        $"{Name,-34} c={Concurrency,-3} ops={Ops,-8} ops/s={OpsPerSecond,10:F0}  p50={P50,7:F3} ms  p95={P95,7:F3} ms  p99={P99,7:F3} ms  errors={Errors}")
        + (RunRates.Count > 1 ? $"  (median of {RunRates.Count} runs: {string.Join(" / ", RunRates.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} ops/s)" : "")
        + (CpuPerOperation.Length > 0 ? "  " + CpuPerOperation : "");
}
