using System.Globalization;

namespace Kms.Bench;

/// <summary>
/// The measured figures of one bench/run.sh, shared by its separate bench processes through a file (BENCH_FIGURES:
/// one "key TAB value" line per figure, the last value of a key wins), and the targets judged against them. A missed
/// target is printed as MISSED; it never fails the run.
/// </summary>
internal sealed class Scorecard
{
    private readonly string? _path;
    private readonly Dictionary<string, double> _figures = new(StringComparer.Ordinal);

    private Scorecard(string? path)
    {
        _path = path;
        if (path is not null && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split('\t');
                if (parts.Length == 2 && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    _figures[parts[0]] = value;
                }
            }
        }
    }

    /// <summary>The figures recorded so far by this run (none when BENCH_FIGURES is not set).</summary>
    public static Scorecard Open() => new(Environment.GetEnvironmentVariable("BENCH_FIGURES") is { Length: > 0 } path ? path : null);

    public double? this[string key] => _figures.TryGetValue(key, out var value) ? value : null;

    /// <summary>Records figures and returns the verdicts of the targets they complete, to print beside them.</summary>
    public string Record(params (string Key, double Value)[] figures)
    {
        foreach (var (key, value) in figures)
        {
            _figures[key] = value;
            if (_path is not null)
            {
                File.AppendAllText(_path, string.Create(CultureInfo.InvariantCulture, $"{key}\t{value:R}\n"));
            }
        }

        var judged = BenchTargets.All
            .Where(t => t.Inputs.Any(i => figures.Any(f => f.Key == i)))
            .Select(t => (Target: t, Figure: t.Evaluate(this)))
            .Where(j => j.Figure is not null)
            .Select(j => $"{j.Target.Goal}: {j.Target.Show(j.Figure!.Value)} {(j.Target.IsMet(j.Figure.Value) ? "met" : "MISSED")}");
        var text = string.Join("; ", judged);
        return text.Length == 0 ? "" : "  [target " + text + "]";
    }

    /// <summary>Every target: its figure, goal and verdict ("not run" when a part was switched off or failed).</summary>
    public string Summary()
    {
        var lines = new List<string>
        {
            "",
            "targets (issue 10)",
            FormattableString.Invariant($"{"target",-46} {"figure",-26} {"goal",-22} verdict"),
        };
        foreach (var target in BenchTargets.All)
        {
            var figure = target.Evaluate(this);
            var verdict = figure is null ? "not run" : target.IsMet(figure.Value) ? "met" : "MISSED";
            lines.Add(FormattableString.Invariant($"{target.Name,-46} {(figure is null ? "-" : target.Show(figure.Value)),-26} {target.Goal,-22} {verdict}"));
        }

        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>
/// One target: a figure computed from recorded figures (<see cref="Inputs"/>), a goal and how to show the figure.
/// </summary>
internal sealed record BenchTarget(string Name, string Goal, string[] Inputs, Func<double[], double> Compute, Func<double, bool> IsMet, Func<double, string> Show)
{
    public double? Evaluate(Scorecard figures)
    {
        var values = Inputs.Select(i => figures[i]).ToArray();
        return values.Any(v => v is null || double.IsNaN(v.Value)) ? null : Compute(values.Select(v => v!.Value).ToArray());
    }
}

/// <summary>The targets of issue 10 and the figure keys the bench modes record for them.</summary>
internal static class BenchTargets
{
    public const string HostHealthySeconds = "host.healthy_s";
    public const string HostRssPeakMiB = "host.rss_peak_mib";
    public const string HsmAesGcmOps = "hsm.aes_gcm_1k.c1.ops_s";
    public const string HsmRsaSignOps = "hsm.sign_rsa_2048.c16.ops_s";
    public const string BatchEncryptItems = "http.batch_encrypt.c16.items_s";
    public const string EcdsaSignOps = "http.sign_ec_p256.c16.ops_s";
    public const string RsaSignOps = "http.sign_rsa_2048.c16.ops_s";
    public const string GenerateDataKeyOps = "http.generate_data_key.c16.ops_s";
    public const string EnvelopeMessages = "envelope.cached_1k.c1.msgs_s";
    public const string RewrapItems = "rewrap.items_s";
    public const string RevokeP50Ms = "revoke.p50_ms";

    public static string HttpOps(string operation, int concurrency) => $"http.{operation}.c{concurrency}.ops_s";

    public static string HttpP50(string operation, int concurrency) => $"http.{operation}.c{concurrency}.p50_ms";

    public static string HttpP99(string operation, int concurrency) => $"http.{operation}.c{concurrency}.p99_ms";

    public static readonly IReadOnlyList<BenchTarget> All =
    [
        .. new[] { "encrypt", "decrypt" }.SelectMany(op => new[]
        {
            AtLeast($"http {op} 1 KiB c=16 ops/s", HttpOps(op, 16), 5000, "/s"),
            Below($"http {op} 1 KiB c=16 p99", HttpP99(op, 16), 10, " ms"),
            Below($"http {op} 1 KiB c=1 p50", HttpP50(op, 1), 1, " ms"),
        }),
        AtLeast("http batch encrypt 1000 x 1 KiB items/s", BatchEncryptItems, 25000, "/s"),
        Ratio("http batch items/s / in-process HSM AES-GCM", BatchEncryptItems, HsmAesGcmOps, 0.5, strictly: true),
        AtLeast("http sign EC_P256 c=16", EcdsaSignOps, 5000, "/s"),
        Ratio("http sign RSA_2048 c=16 / in-process HSM c=16", RsaSignOps, HsmRsaSignOps, 0.8, strictly: false),
        AtLeast("http generate-data-key AES_256 c=16", GenerateDataKeyOps, 5000, "/s"),
        AtLeast("envelope encrypt 1 KiB, cached data key, c=1", EnvelopeMessages, 200000, "/s"),
        AtLeast("rewrap (Azurite table) items/s", RewrapItems, 2000, "/s"),
        Below("time to revoke p50", RevokeP50Ms, 1000, " ms"),
        Below("host healthy after start", HostHealthySeconds, 5, " s"),
        Below("host RSS peak during c=16 load", HostRssPeakMiB, 400, " MiB"),
    ];

    private static BenchTarget AtLeast(string name, string key, double minimum, string unit) =>
        new(name, FormattableString.Invariant($">= {minimum:N0}{unit}"), [key], v => v[0], f => f >= minimum, f => FormattableString.Invariant($"{f:N0}{unit}"));

    private static BenchTarget Below(string name, string key, double limit, string unit) =>
        new(name, FormattableString.Invariant($"< {limit:N0}{unit}"), [key], v => v[0], f => f < limit, f => FormattableString.Invariant($"{f:N2}{unit}"));

    private static BenchTarget Ratio(string name, string numerator, string denominator, double minimum, bool strictly) =>
        new(name, FormattableString.Invariant($"{(strictly ? ">" : ">=")} {minimum:P0}"), [numerator, denominator], v => v[0] / v[1],
            f => strictly ? f > minimum : f >= minimum, f => FormattableString.Invariant($"{f:P0}"));
}
