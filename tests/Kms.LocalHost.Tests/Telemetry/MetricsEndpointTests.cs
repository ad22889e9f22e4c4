using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Kms.Core.Tests.Telemetry.Observability;
using Kms.Testing;

namespace Kms.LocalHost.Tests.Telemetry;

/// <summary>
/// The other half of Kms.Core.Tests' ObservabilityCatalogTests: after a representative workload on the real host
/// (SoftHSM2, Azurite), GET /metrics exposes every server metric the Prometheus rules and Grafana dashboards read.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class MetricsEndpointTests(MetricsEndpointTests.EventsOnHost fixture) : IClassFixture<MetricsEndpointTests.EventsOnHost>
{
    private readonly KmsHostFixture host = fixture.Host;

    /// <summary>
    /// The host with events on (published to its own Event Grid stand-in), as a deployment runs it: the outbox gauges and
    /// event counters exist only then. The subscription's endpoint listens nowhere; delivery is the stand-in's concern.
    /// </summary>
    public sealed class EventsOnHost : IAsyncLifetime
    {
        public KmsHostFixture Host { get; } =
            EventGridKmsHost.Create(new Uri($"http://127.0.0.1:{EventGridKmsHost.FreePort()}/unused"), EventGridKmsHost.FreePort(), "metrics-test");

        public Task InitializeAsync() => Host.InitializeAsync();

        public Task DisposeAsync() => Host.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_AfterAWorkload_ExposeEveryServerMetricTheRulesAndDashboardsRead()
    {
        // Arrange: the metrics the rules and dashboards read. Kms.Client's come from the callers' processes.
        var usage = ObservabilityMetricUsage.Load();
        var wanted = usage.Instruments.Where(i => !i.CallerSide).ToList();
        Assert.True(wanted.Count >= 15, $"only {wanted.Count} server instruments are read by the rules and dashboards");

        // Act: encrypt, decrypt, a rotation, a denied request, a bad request and an emergency revocation.
        await RunWorkloadAsync();
        var scrape = await ScrapeUntilAsync(text =>
            HasSample(text, "kms_requests_total", "(?=.*operation=\"Encrypt\")(?=.*result=\"success\")") &&
            HasSample(text, "kms_requests_total", "result=\"denied\"") &&
            HasSample(text, "kms_audit_records_stored_total", "") &&
            HasSample(text, "kms_events_published_total", ""));

        // Assert: every family is exposed (a "# TYPE" line or samples), and the ones the workload drives have samples.
        var missing = wanted.Where(i => !IsExposed(scrape, i)).Select(i => i.Family).ToList();
        Assert.True(missing.Count == 0, $"/metrics lacks: {string.Join(", ", missing)}\n--- scrape ---\n{scrape}");

        Assert.True(HasSample(scrape, "kms_requests_total", "operation=\"Decrypt\""), "no Decrypt request counted");
        Assert.True(HasSample(scrape, "kms_requests_total", "result=\"client_error\""), "no client error counted");
        // The latency SLO counts requests under 100 ms: the histogram needs a 0.1 s bucket boundary.
        Assert.True(HasSample(scrape, "kms_request_duration_seconds_bucket", "le=\"0\\.1\""), "kms.request.duration has no 0.1 s bucket");
        Assert.True(HasSample(scrape, "kms_hsm_operation_duration_seconds_count", ""), "no HSM operation measured");
        Assert.True(HasSample(scrape, "kms_hsm_sessions_in_use", "") && HasSample(scrape, "kms_hsm_sessions_limit", ""), "no HSM session gauges");
        Assert.True(HasSample(scrape, "kms_audit_records_produced_total", ""), "no audit record counted as produced");
    }

    private async Task RunWorkloadAsync()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "aGVsbG8=", context = new { app = "metrics" } });
        await host.PostOkAsync("/api/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString(), context = new { app = "metrics" } });
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "aGVsbG8=" });

        // A principal without roles is refused (403).
        using (var denied = await host.CreateClient("metrics-nobody").PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "aGVsbG8=" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        // Bad input (400).
        using (var bad = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = "not a ciphertext" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        // An emergency revocation of the first version: revoked before the 202, then an orchestration.
        using (var revocation = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/revocations", new { versions = new[] { 1 }, reason = "metrics test" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, revocation.StatusCode);
        }
    }

    /// <summary>Scrapes until <paramref name="ready"/> holds (counters can reach the exporter a moment after the response), at most 30 s.</summary>
    private async Task<string> ScrapeUntilAsync(Func<string, bool> ready)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using var response = await host.Client.GetAsync("/metrics");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET /metrics -> {(int)response.StatusCode}");
            var text = await response.Content.ReadAsStringAsync();
            if (ready(text) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(500);
        }
    }

    private static bool IsExposed(string scrape, CatalogInstrument instrument) =>
        scrape.Split('\n').Any(line =>
            (line.StartsWith("# TYPE ", StringComparison.Ordinal) &&
             (line.Split(' ') is [_, _, var family, ..] && (family == instrument.Family || instrument.SeriesNames.Contains(family)))) ||
            instrument.SeriesNames.Any(series => IsSampleOf(line, series)));

    private static bool HasSample(string scrape, string series, string labelPattern) =>
        scrape.Split('\n').Any(line => IsSampleOf(line, series) && Regex.IsMatch(line, labelPattern));

    private static bool IsSampleOf(string line, string series) =>
        line.StartsWith(series, StringComparison.Ordinal) && line.Length > series.Length && line[series.Length] is '{' or ' ';
}
