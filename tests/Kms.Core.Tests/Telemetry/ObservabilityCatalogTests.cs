using System.Reflection;
using System.Text.Json;
using Kms.Core.Telemetry;
using Kms.Core.Tests.Telemetry.Observability;

namespace Kms.Core.Tests.Telemetry;

/// <summary>
/// The Prometheus rules and Grafana dashboards under infra/observability read only catalog metrics (in the
/// exporter's spelling) and names their own recording rules define. The other half, that the app emits the
/// catalog metrics at /metrics, is Kms.LocalHost.Tests' MetricsEndpointTests.
/// </summary>
public sealed class ObservabilityCatalogTests
{
    private static readonly string[] Runbooks =
        ["revoke-key", "emergency-rotation", "rollback-rotation", "kms-hsm-outage", "audit-gap", "key-compromise"];

    [Fact]
    public void CatalogInstruments_ListEveryConstantOfKmsMetricNames()
    {
        var constants = typeof(KmsMetricNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(constants, CatalogInstruments.All.Select(i => i.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void RulesAndDashboards_ReadOnlyCatalogMetricsAndRecordedNames()
    {
        var usage = ObservabilityMetricUsage.Load();

        var unknown = usage.UsedBy
            .Where(pair => CatalogInstruments.FindBySeries(pair.Key) is null && !usage.Recorded.Contains(pair.Key))
            .Select(pair => $"{pair.Key} (in {string.Join("; ", pair.Value.Distinct())})")
            .ToList();

        Assert.True(unknown.Count == 0, "Not catalog metrics nor recorded names:\n" + string.Join("\n", unknown));
        // Guards against an extraction that finds nothing and so passes: the rules and dashboards read far more.
        Assert.True(usage.UsedBy.Count > 40, $"only {usage.UsedBy.Count} metric names found");
        Assert.True(usage.Recorded.Count > 40, $"only {usage.Recorded.Count} recording rules found");
    }

    [Fact]
    public void RulesAndDashboards_CoverEveryCatalogInstrument()
    {
        var usage = ObservabilityMetricUsage.Load();

        var unused = CatalogInstruments.All.Except(usage.Instruments).Select(i => i.Family).ToList();

        Assert.True(unused.Count == 0, "Catalog metrics no rule or dashboard reads: " + string.Join(", ", unused));
    }

    [Fact]
    public void RecordedNames_ReadByRulesOrDashboards_AreDefined()
    {
        var usage = ObservabilityMetricUsage.Load();

        var undefined = usage.UsedBy.Keys.Where(n => n.Contains(':', StringComparison.Ordinal) && !usage.Recorded.Contains(n)).ToList();

        Assert.Empty(undefined);
    }

    [Fact]
    public void Alerts_HaveSeveritySummaryDescriptionAndAKnownRunbook()
    {
        var alerts = ObservabilityAssets.LoadRules().Where(r => r.Alert is not null).ToList();

        Assert.True(alerts.Count >= 20, $"only {alerts.Count} alerts found");
        Assert.All(alerts, alert =>
        {
            Assert.Contains(alert.Labels.GetValueOrDefault("severity"), new[] { "page", "ticket" });
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("summary")), alert.Alert);
            Assert.False(string.IsNullOrWhiteSpace(alert.Annotations.GetValueOrDefault("description")), alert.Alert);
            var runbook = alert.Annotations.GetValueOrDefault("runbook_url") ?? "";
            Assert.Contains(runbook, Runbooks.Select(r => $"docs/runbooks/{r}.md"));
        });
        Assert.Equal(alerts.Count, alerts.Select(a => a.Alert).Distinct().Count());
    }

    [Fact]
    public void Alerts_EveryOneHasAPromtoolUnitTest()
    {
        var alerts = ObservabilityAssets.LoadRules().Where(r => r.Alert is not null).Select(r => r.Alert!).ToList();
        var tests = string.Join("\n", Directory.GetFiles(Path.Combine(ObservabilityAssets.PrometheusDirectory, "tests"), "*.yml").Select(File.ReadAllText));

        var untested = alerts.Where(a => !tests.Contains($"alertname: {a}\n", StringComparison.Ordinal)).ToList();

        Assert.Empty(untested);
    }

    [Fact]
    public void Dashboards_AreGrafanaModelsOnTheTemplatedPrometheusDatasource()
    {
        Assert.Equal(3, ObservabilityAssets.DashboardFiles.Count);
        foreach (var file in ObservabilityAssets.DashboardFiles)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement;
            Assert.True(root.GetProperty("schemaVersion").GetInt32() >= 36, file);
            Assert.False(string.IsNullOrEmpty(root.GetProperty("uid").GetString()), file);
            var datasource = root.GetProperty("templating").GetProperty("list").EnumerateArray()
                .Single(v => v.GetProperty("name").GetString() == "datasource");
            Assert.Equal("datasource", datasource.GetProperty("type").GetString());
            Assert.Equal("prometheus", datasource.GetProperty("query").GetString());

            var panels = ObservabilityAssets.Panels(root).Where(p => p.GetProperty("type").GetString() != "row").ToList();
            Assert.True(panels.Count >= 8, $"{file}: only {panels.Count} panels");
            Assert.All(panels, panel =>
            {
                Assert.Equal("${datasource}", panel.GetProperty("datasource").GetProperty("uid").GetString());
                Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray());
                Assert.All(panel.GetProperty("targets").EnumerateArray(), t => Assert.False(string.IsNullOrWhiteSpace(t.GetProperty("expr").GetString())));
            });
            Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        }
    }
}
