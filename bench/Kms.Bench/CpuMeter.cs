using System.Globalization;

namespace Kms.Bench;

/// <summary>
/// CPU time of the processes that share the machine during a run (the host, Azurite and this bench process), from
/// /proc/&lt;pid&gt;/stat (Linux). On two cores every one of them competes for the same CPU, so the CPU each spends per
/// operation says where a throughput target's budget goes: at 5,000 ops/s two cores allow 400 µs of CPU per operation
/// for all of them together.
/// </summary>
internal sealed class CpuMeter
{
    // utime and stime are in clock ticks; 100 per second on Linux (sysconf(_SC_CLK_TCK)), which .NET does not expose.
    private const double TicksPerSecond = 100;

    private readonly (string Name, int Pid)[] _processes;

    private CpuMeter((string Name, int Pid)[] processes) => _processes = processes;

    /// <summary>The host (pid given), Azurite (BENCH_AZURITE_PID, set by bench/run.sh) and this process; those known.</summary>
    public static CpuMeter ForStack(int? hostPid)
    {
        var processes = new List<(string, int)>();
        if (hostPid is { } host)
        {
            processes.Add(("host", host));
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("BENCH_AZURITE_PID"), NumberStyles.None, CultureInfo.InvariantCulture, out var azurite))
        {
            processes.Add(("azurite", azurite));
        }

        processes.Add(("bench", Environment.ProcessId));
        return new CpuMeter([.. processes]);
    }

    /// <summary>CPU seconds used so far by each process (NaN when it cannot be read).</summary>
    public double[] Sample() => [.. _processes.Select(p => CpuSeconds(p.Pid))];

    /// <summary>"cpu/op host 512 µs, azurite 640 µs, bench 90 µs" between two samples over <paramref name="ops"/> operations.</summary>
    public string PerOperation(double[] before, double[] after, int ops) => ops == 0 ? "" : "cpu/op " + string.Join(", ",
        _processes.Select((p, i) => FormattableString.Invariant($"{p.Name} {(after[i] - before[i]) * 1e6 / ops:F0} µs")));

    private static double CpuSeconds(int pid)
    {
        try
        {
            // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // utime and stime are fields 14 and 15 of the whole line, so 11 and 12 after the command name (0-based).
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }
}
