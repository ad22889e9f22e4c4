using System.Diagnostics;

namespace Kms.Bench;

/// <summary>The one timed load loop every benchmark runs: closed loop, <c>concurrency</c> workers back to back.</summary>
internal static class Load
{
    /// <summary>Before the measured runs (BENCH_WARMUP seconds, default 2): connections, caches and the JIT settle.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(EnvironmentNumber("BENCH_WARMUP", 2));

    /// <summary>
    /// Measured runs per figure (BENCH_RUNS, default 3): one run on a shared 2-core machine moves by 10 % or more, so a
    /// figure is the median run, with every run's rate printed beside it.
    /// </summary>
    public static readonly int Runs = Math.Max(1, (int)EnvironmentNumber("BENCH_RUNS", 3));

    /// <summary>How each figure is taken, for a benchmark's heading: "3 runs of 5 s (the median run) after a 2 s warm-up".</summary>
    public static string Describe(TimeSpan duration) => Runs == 1
        ? FormattableString.Invariant($"{duration.TotalSeconds:F0} s per run after a {WarmUp.TotalSeconds:F0} s warm-up")
        : FormattableString.Invariant($"{Runs} runs of {duration.TotalSeconds:F0} s (the median run) after a {WarmUp.TotalSeconds:F0} s warm-up");

    /// <summary>A warm-up, then <see cref="Runs"/> runs of <paramref name="duration"/>; the run with the median rate.</summary>
    /// <param name="cpu">When given, the CPU each process of the stack spent per operation in each run.</param>
    public static async Task<Measurement> MeasureAsync(string name, int concurrency, TimeSpan duration, Func<Task<bool>> operation,
        CpuMeter? cpu = null)
    {
        await RunFor(WarmUp, concurrency, null, operation);
        var runs = new List<Measurement>(Runs);
        for (var run = 0; run < Runs; run++)
        {
            var recorder = new LatencyRecorder(concurrency);
            var before = cpu?.Sample();
            var (elapsed, errors) = await RunFor(duration, concurrency, recorder, operation);
            var measured = recorder.Measure(name, concurrency, elapsed, errors);
            runs.Add(cpu is null ? measured : measured with { CpuPerOperation = cpu.PerOperation(before!, cpu.Sample(), measured.Ops) });
        }

        // The median run by rate, latencies from that same run (not medians of each column, which no run had).
        var median = runs.OrderBy(r => r.OpsPerSecond).ElementAt(runs.Count / 2);
        return median with { RunRates = [.. runs.Select(r => r.OpsPerSecond)], Errors = runs.Sum(r => r.Errors) };
    }

    /// <summary>
    /// <see cref="MeasureAsync(string, int, TimeSpan, Func{Task{bool}})"/> of a blocking, in-process operation. Each
    /// worker holds a thread pool thread for the whole run, so the pool is given enough threads up front (it would
    /// otherwise add them slowly and measure its own growth).
    /// </summary>
    public static Task<Measurement> MeasureAsync(string name, int concurrency, TimeSpan duration, Func<bool> operation)
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, concurrency + Environment.ProcessorCount), io);
        return MeasureAsync(name, concurrency, duration, () => Task.FromResult(operation()));
    }

    public static async Task<(TimeSpan Elapsed, int Errors)> RunFor(TimeSpan duration, int concurrency, LatencyRecorder? recorder, Func<Task<bool>> operation)
    {
        var errors = 0;
        var stopwatch = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            while (stopwatch.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                if (!await operation())
                {
                    Interlocked.Increment(ref errors);
                }

                recorder?.Record(worker, start);
            }
        }));
        await Task.WhenAll(workers);
        return (stopwatch.Elapsed, errors);
    }

    /// <summary>A non-negative number from the environment (BENCH_*), or <paramref name="fallback"/> when unset or not one.</summary>
    public static double EnvironmentNumber(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0 ? value : fallback;
}
