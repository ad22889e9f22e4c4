using System.Globalization;

namespace Kms.Bench;

/// <summary>The host's resident memory, read from /proc (Linux).</summary>
internal static class HostMemory
{
    /// <summary>VmRSS of <paramref name="pid"/> from /proc/&lt;pid&gt;/status, in MiB; NaN when it cannot be read.</summary>
    public static double RssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kib is null ? double.NaN : double.Parse(kib, CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}

/// <summary>Samples the host's RSS every 100 ms until disposed and keeps the peak (NaN without a pid or /proc).</summary>
internal sealed class RssPeakSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampling;

    public RssPeakSampler(int? pid)
    {
        _sampling = pid is { } id ? Task.Run(() => SampleAsync(id)) : Task.CompletedTask;
    }

    public double PeakMiB { get; private set; } = double.NaN;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sampling;
        _stop.Dispose();
    }

    private async Task SampleAsync(int pid)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            var rss = HostMemory.RssMiB(pid);
            if (!double.IsNaN(rss) && !(rss <= PeakMiB))
            {
                PeakMiB = rss;
            }
        }
        while (await timer.WaitForNextTickAsync(_stop.Token).AsTask().ContinueWith(t => t.IsCompletedSuccessfully && t.Result, TaskScheduler.Default));
    }
}
