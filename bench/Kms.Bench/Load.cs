using System.Diagnostics;

namespace Kms.Bench;

/// <summary>The one timed load loop every benchmark runs: closed loop, <c>concurrency</c> workers back to back.</summary>
internal static class Load
{
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    /// <summary>A 2 s warm-up, then <paramref name="duration"/> measured.</summary>
    public static async Task<Measurement> MeasureAsync(string name, int concurrency, TimeSpan duration, Func<Task<bool>> operation)
    {
        await RunFor(WarmUp, concurrency, null, operation);
        var recorder = new LatencyRecorder(concurrency);
        var (elapsed, errors) = await RunFor(duration, concurrency, recorder, operation);
        return recorder.Measure(name, concurrency, elapsed, errors);
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
}
