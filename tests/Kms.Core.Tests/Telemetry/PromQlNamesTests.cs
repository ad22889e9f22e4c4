using Kms.Core.Tests.Telemetry.Observability;

namespace Kms.Core.Tests.Telemetry;

public sealed class PromQlNamesTests
{
    [Fact]
    public void Extract_SkipsFunctionsLabelsRangesGroupingAndNumbers()
    {
        var names = PromQlNames.Extract(
            """
            histogram_quantile(0.95, sum by (operation, le) (rate(kms_request_duration_seconds_bucket{operation=~"Encrypt|Decrypt",le="0.1"}[5m])))
            / ignoring(result) group_left
            (sum(rate(kms_requests_total{result="server_error"}[1d] offset 5m)) or vector(0)) > (14.4 * (1 - 0.9999)) and 1e3 > bool inf
            """);

        Assert.Equal(new HashSet<string> { "kms_request_duration_seconds_bucket", "kms_requests_total" }, names);
    }

    [Fact]
    public void Extract_GrafanaVariablesAndRecordedNames()
    {
        var names = PromQlNames.Extract(
            "sum by (result) (rate(kms_requests_total{instance=~\"$instance\"}[$__rate_interval])) / kms:encrypt_errors:ratio_rate1h${suffix}");

        Assert.Equal(new HashSet<string> { "kms_requests_total", "kms:encrypt_errors:ratio_rate1h" }, names);
    }

    [Fact]
    public void Extract_BareMetricAndOtherNames_AreFound()
    {
        Assert.Equal(new HashSet<string> { "up", "process_cpu_seconds_total" }, PromQlNames.Extract("up == 0 or process_cpu_seconds_total"));
    }
}
