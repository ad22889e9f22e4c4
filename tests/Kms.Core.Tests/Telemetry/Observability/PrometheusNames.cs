using System.Text;

namespace Kms.Core.Tests.Telemetry.Observability;

/// <summary>The kinds of instrument whose Prometheus spelling differs.</summary>
public enum InstrumentKind
{
    Counter,
    Histogram,
    Gauge,
}

/// <summary>An instrument of the catalog: its OpenTelemetry name, kind and unit (UCUM, e.g. "s" or "{request}").</summary>
public sealed record CatalogInstrument(string Name, InstrumentKind Kind, string Unit, bool CallerSide = false)
{
    /// <summary>The Prometheus metric family name, e.g. kms_request_duration_seconds or kms_requests_total.</summary>
    public string Family => PrometheusNames.Family(Name, Kind, Unit);

    /// <summary>Every series name a scrape holds for this instrument.</summary>
    public IReadOnlyList<string> SeriesNames => PrometheusNames.SeriesNames(Name, Kind, Unit);
}

/// <summary>
/// The OpenTelemetry Prometheus exporter's naming rules, as far as the catalog needs them: characters outside
/// [a-zA-Z0-9_:] become '_' (so dots become underscores), the unit is appended ("s" as "_seconds"; annotations
/// in braces such as "{request}" are dropped), counters get "_total", histograms are read as _bucket/_sum/_count.
/// </summary>
public static class PrometheusNames
{
    private static readonly Dictionary<string, string> UnitWords = new(StringComparer.Ordinal)
    {
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["By"] = "bytes",
        ["1"] = "ratio",
    };

    /// <summary>The metric family name (what `# TYPE` names).</summary>
    public static string Family(string instrumentName, InstrumentKind kind, string unit)
    {
        var name = Sanitize(instrumentName);
        var unitWord = UnitWord(unit);
        if (unitWord.Length > 0 && !name.EndsWith("_" + unitWord, StringComparison.Ordinal))
        {
            name += "_" + unitWord;
        }

        if (kind == InstrumentKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        return name;
    }

    /// <summary>Every series name of the family: histograms have three, counters and gauges one.</summary>
    public static IReadOnlyList<string> SeriesNames(string instrumentName, InstrumentKind kind, string unit)
    {
        var family = Family(instrumentName, kind, unit);
        return kind == InstrumentKind.Histogram
            ? [family + "_bucket", family + "_sum", family + "_count"]
            : [family];
    }

    private static string UnitWord(string unit)
    {
        if (string.IsNullOrEmpty(unit) || (unit.StartsWith('{') && unit.EndsWith('}')))
        {
            return "";
        }

        return UnitWords.TryGetValue(unit, out var word) ? word : Sanitize(unit);
    }

    private static string Sanitize(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or ':' ? c : '_');
        }

        // The exporter collapses runs of underscores that the replacement leaves (e.g. "a._b").
        var result = builder.ToString();
        while (result.Contains("__", StringComparison.Ordinal))
        {
            result = result.Replace("__", "_", StringComparison.Ordinal);
        }

        return result;
    }
}
