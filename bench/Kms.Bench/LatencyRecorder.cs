using System.Diagnostics;

namespace Kms.Bench;

/// <summary>Collects per-operation latencies from many workers and summarises them.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double>[] _perWorker;

    public LatencyRecorder(int workers) => _perWorker = Enumerable.Range(0, workers).Select(_ => new List<double>(1 << 16)).ToArray();

    public void Record(int worker, long startTimestamp) =>
        _perWorker[worker].Add(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);

    public string Summarise(string name, int concurrency, TimeSpan elapsed, int errors)
    {
        var all = _perWorker.SelectMany(l => l).Order().ToArray();
        double P(double q) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)(q * all.Length))];
        return FormattableString.Invariant(
            $"{name,-28} c={concurrency,-3} ops={all.Length,-8} ops/s={all.Length / elapsed.TotalSeconds,10:F0}  p50={P(0.50),7:F3} ms  p95={P(0.95),7:F3} ms  p99={P(0.99),7:F3} ms  errors={errors}");
    }
}
