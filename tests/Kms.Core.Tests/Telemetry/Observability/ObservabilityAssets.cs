using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Kms.Core.Tests.Telemetry.Observability;

/// <summary>A recording or alert rule of infra/observability/prometheus.</summary>
public sealed record PrometheusRule(string File, string? Record, string? Alert, string Expr,
    IReadOnlyDictionary<string, string> Labels, IReadOnlyDictionary<string, string> Annotations);

/// <summary>A PromQL query of a Grafana dashboard (panel target or template variable).</summary>
public sealed record DashboardQuery(string File, string Where, string Expr);

/// <summary>Reads the Prometheus rules and Grafana dashboards under infra/observability of the repository.</summary>
public static partial class ObservabilityAssets
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string PrometheusDirectory => Path.Combine(RepoRoot, "infra", "observability", "prometheus");

    public static string GrafanaDirectory => Path.Combine(RepoRoot, "infra", "observability", "grafana");

    /// <summary>The rule files (not the promtool unit tests under tests/).</summary>
    public static IReadOnlyList<string> RuleFiles =>
        [.. Directory.GetFiles(PrometheusDirectory, "*.yml", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<string> DashboardFiles =>
        [.. Directory.GetFiles(GrafanaDirectory, "*.json", SearchOption.TopDirectoryOnly).Order(StringComparer.Ordinal)];

    public static IReadOnlyList<PrometheusRule> LoadRules()
    {
        var rules = new List<PrometheusRule>();
        foreach (var file in RuleFiles)
        {
            var yaml = new YamlStream();
            using (var reader = new StreamReader(file))
            {
                yaml.Load(reader);
            }

            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            foreach (var group in ((YamlSequenceNode)root["groups"]).Cast<YamlMappingNode>())
            {
                foreach (var rule in ((YamlSequenceNode)group["rules"]).Cast<YamlMappingNode>())
                {
                    rules.Add(new PrometheusRule(
                        Path.GetFileName(file),
                        Scalar(rule, "record"),
                        Scalar(rule, "alert"),
                        Scalar(rule, "expr") ?? throw new InvalidDataException($"{file}: a rule without expr"),
                        Map(rule, "labels"),
                        Map(rule, "annotations")));
                }
            }
        }

        return rules;
    }

    public static IReadOnlyList<DashboardQuery> LoadDashboardQueries()
    {
        var queries = new List<DashboardQuery>();
        foreach (var file in DashboardFiles)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var name = Path.GetFileName(file);
            foreach (var panel in Panels(document.RootElement))
            {
                if (!panel.TryGetProperty("targets", out var targets))
                {
                    continue;
                }

                foreach (var target in targets.EnumerateArray())
                {
                    queries.Add(new DashboardQuery(name, $"panel '{panel.GetProperty("title").GetString()}'", target.GetProperty("expr").GetString()!));
                }
            }

            // Template variables: label_values(<metric>, <label>) names a metric as well.
            foreach (var variable in document.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
            {
                if (variable.GetProperty("type").GetString() == "query")
                {
                    var query = variable.GetProperty("query");
                    var text = query.ValueKind == JsonValueKind.String ? query.GetString()! : query.GetProperty("query").GetString()!;
                    var match = LabelValues().Match(text);
                    if (match.Success)
                    {
                        queries.Add(new DashboardQuery(name, $"variable '{variable.GetProperty("name").GetString()}'", match.Groups["metric"].Value));
                    }
                }
            }
        }

        return queries;
    }

    /// <summary>Every panel, including those nested in collapsed rows.</summary>
    public static IEnumerable<JsonElement> Panels(JsonElement dashboard)
    {
        foreach (var panel in dashboard.GetProperty("panels").EnumerateArray())
        {
            yield return panel;
            if (panel.TryGetProperty("panels", out var nested))
            {
                foreach (var inner in nested.EnumerateArray())
                {
                    yield return inner;
                }
            }
        }
    }

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static Dictionary<string, string> Map(YamlMappingNode node, string key)
    {
        if (!node.Children.TryGetValue(new YamlScalarNode(key), out var value))
        {
            return [];
        }

        return ((YamlMappingNode)value).Children.ToDictionary(
            pair => ((YamlScalarNode)pair.Key).Value!, pair => ((YamlScalarNode)pair.Value).Value ?? "");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KmsFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("KmsFunctions.sln not found above the test directory.");
    }

    [GeneratedRegex(@"label_values\(\s*(?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();
}

/// <summary>The metric names the rules and dashboards read, split into catalog series and recorded rule outputs.</summary>
public sealed class ObservabilityMetricUsage
{
    private ObservabilityMetricUsage(IReadOnlyDictionary<string, List<string>> usedBy, IReadOnlySet<string> recorded)
    {
        UsedBy = usedBy;
        Recorded = recorded;
    }

    /// <summary>Every metric name read, with where it is read (file and rule or panel).</summary>
    public IReadOnlyDictionary<string, List<string>> UsedBy { get; }

    /// <summary>The names the recording rules define.</summary>
    public IReadOnlySet<string> Recorded { get; }

    /// <summary>The catalog instruments whose series are read somewhere.</summary>
    public IReadOnlyList<CatalogInstrument> Instruments =>
        [.. UsedBy.Keys.Select(CatalogInstruments.FindBySeries).OfType<CatalogInstrument>().Distinct()];

    public static ObservabilityMetricUsage Load()
    {
        var rules = ObservabilityAssets.LoadRules();
        var usedBy = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string name, string where)
        {
            if (!usedBy.TryGetValue(name, out var list))
            {
                usedBy[name] = list = [];
            }

            list.Add(where);
        }

        foreach (var rule in rules)
        {
            foreach (var name in PromQlNames.Extract(rule.Expr))
            {
                Add(name, $"{rule.File}: {rule.Record ?? rule.Alert}");
            }
        }

        foreach (var query in ObservabilityAssets.LoadDashboardQueries())
        {
            foreach (var name in PromQlNames.Extract(query.Expr))
            {
                Add(name, $"{query.File}: {query.Where}");
            }
        }

        var recorded = rules.Where(r => r.Record is not null).Select(r => r.Record!).ToHashSet(StringComparer.Ordinal);
        return new ObservabilityMetricUsage(usedBy, recorded);
    }
}
