using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kms.Core.Telemetry;
using Kms.Testing;

namespace Kms.LocalHost.Tests.Telemetry;

/// <summary>
/// The local host's telemetry end to end on SoftHSM2 and Azurite: real requests, then GET /metrics as Prometheus
/// scrapes it, and the request spans as an OpenTelemetry SDK would receive them (an ActivityListener on "Kms").
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class TelemetryTests : IClassFixture<KmsHostFixture>, IDisposable
{
    private readonly KmsHostFixture _host;
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _spans = new();
    // Values that must never leave the request: unique, so a match anywhere is a leak, not a coincidence.
    private readonly string _plaintext = "plaintext-" + Guid.NewGuid().ToString("N");
    private readonly string _contextValue = "context-value-" + Guid.NewGuid().ToString("N");

    public TelemetryTests(KmsHostFixture host)
    {
        _host = host;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == KmsTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task Metrics_AfterEncryptDecryptDeniedAndBadRequests_ArePrometheusTextWithTheCatalogNames()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        var ciphertext = await EncryptAsync(keyId, "metrics-encrypt");
        using (var decrypt = await _host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext, context = Context }))
        {
            Assert.Equal(HttpStatusCode.OK, decrypt.StatusCode);
        }

        using var stranger = _host.CreateClient("telemetry-stranger");
        using (var denied = await stranger.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = Base64(_plaintext), context = Context }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }

        using (var bad = await _host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "not base64!", context = Context }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        // Anonymous: no token, and not an API route (so no request metric or audit record of its own).
        using var anonymous = _host.CreateClientWithToken(null);
        using var scrape = await anonymous.GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var samples = Parse(text);

        Assert.True(Sum(samples, "kms_requests_total", ("operation", "Encrypt"), ("result", "success"), ("error_code", "none")) >= 1, text);
        Assert.True(Sum(samples, "kms_requests_total", ("operation", "Decrypt"), ("result", "success")) >= 1, text);
        Assert.True(Sum(samples, "kms_requests_total", ("operation", "Encrypt"), ("result", "denied"), ("error_code", "AccessDenied")) >= 1, text);
        Assert.Contains(samples, s => s.Name == "kms_requests_total" && s.Labels["operation"] == "Encrypt" && s.Labels["result"] == "client_error"
            && s.Labels["error_code"] != "none" && s.Value >= 1);
        Assert.True(Sum(samples, "kms_request_duration_seconds_bucket", ("operation", "Encrypt"), ("result", "success"), ("le", "+Inf")) >= 1, text);
        Assert.True(Sum(samples, "kms_request_duration_seconds_count", ("operation", "Encrypt"), ("result", "denied")) >= 1, text);
        // Encrypt unwrapped the new key's version (a miss); decrypt found its handle (a hit).
        Assert.True(Sum(samples, "kms_hsm_key_cache_lookups_total", ("result", "miss")) >= 1, text);
        Assert.True(Sum(samples, "kms_hsm_key_cache_lookups_total", ("result", "hit")) >= 1, text);
        Assert.True(Sum(samples, "kms_hsm_operation_duration_seconds_count", ("hsm_operation", "encrypt"), ("result", "success")) >= 1, text);
        Assert.True(Sum(samples, "kms_hsm_sessions_limit") >= 1, text);
        Assert.Contains(samples, s => s.Name == "kms_hsm_sessions_in_use");
        Assert.Contains(samples, s => s.Name == "kms_hsm_key_cache_size");
        // Create, encrypt, decrypt, the refusal and the bad request were each audited before their answer was sent.
        var stored = Sum(samples, "kms_audit_records_stored_total");
        Assert.True(stored >= 5, text);
        Assert.True(Sum(samples, "kms_audit_records_produced_total") >= stored, text);
        // Every stored record went in one of the group commits timed here (a commit of a checkpoint alone comes only at stop).
        var commits = Sum(samples, "kms_audit_commit_duration_seconds_count", ("result", "success"));
        Assert.True(commits >= 1 && commits <= stored, text);

        // Metric labels never carry key ids, payloads or context values.
        Assert.DoesNotContain(keyId, text, StringComparison.Ordinal);
        Assert.DoesNotContain(_plaintext, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Base64(_plaintext), text, StringComparison.Ordinal);
        Assert.DoesNotContain(_contextValue, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spans_Encrypt_ContinueTheCallersTraceWithKeyAndResultTagsAndNoPayloadOrContextValues()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        var traceId = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        var requestId = "telemetry-" + Guid.NewGuid().ToString("N")[..12];

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/keys/{keyId}/encrypt")
        {
            Content = JsonContent.Create(new { plaintext = Base64(_plaintext), context = Context }),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{parent}-01");
        request.Headers.Add("x-request-id", requestId);
        using var response = await _host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ciphertext = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ciphertext").GetString()!;

        using var denied = _host.CreateClient("telemetry-stranger");
        using var refusal = await denied.PostAsJsonAsync("/api/decrypt", new { ciphertext, context = Context });
        Assert.Equal(HttpStatusCode.Forbidden, refusal.StatusCode);

        // The host's spans end before its answers are written, but other tests' hosts share the listener: pick ours by request id.
        var span = _spans.Single(s => (string?)s.GetTagItem(KmsTagNames.SpanRequestId) == requestId);
        Assert.Equal("Encrypt", span.OperationName);
        Assert.Equal(traceId, span.TraceId);
        Assert.Equal("Encrypt", span.GetTagItem(KmsTagNames.SpanOperation));
        Assert.Equal(keyId, span.GetTagItem(KmsTagNames.SpanKeyId));
        Assert.Equal(1, span.GetTagItem(KmsTagNames.SpanKeyVersion));
        Assert.Equal(KmsRequestResults.Success, span.GetTagItem(KmsTagNames.SpanResult));
        Assert.Equal(200, span.GetTagItem(KmsTagNames.SpanStatusCode));
        Assert.Null(span.GetTagItem(KmsTagNames.SpanErrorCode));

        var refused = _spans.Single(s => s.OperationName == "Decrypt" && (string?)s.GetTagItem(KmsTagNames.SpanKeyId) == keyId);
        Assert.Equal(KmsRequestResults.Denied, refused.GetTagItem(KmsTagNames.SpanResult));
        Assert.Equal("AccessDenied", refused.GetTagItem(KmsTagNames.SpanErrorCode));
        Assert.Equal(403, refused.GetTagItem(KmsTagNames.SpanStatusCode));

        foreach (var tag in _spans.SelectMany(s => s.TagObjects))
        {
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "";
            Assert.DoesNotContain(_plaintext, value, StringComparison.Ordinal);
            Assert.DoesNotContain(Base64(_plaintext), value, StringComparison.Ordinal);
            Assert.DoesNotContain(_contextValue, value, StringComparison.Ordinal);
            Assert.DoesNotContain(ciphertext, value, StringComparison.Ordinal);
        }
    }

    private Dictionary<string, string> Context => new() { ["tenant"] = _contextValue };

    private async Task<string> EncryptAsync(string keyId, string requestId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/keys/{keyId}/encrypt")
        {
            Content = JsonContent.Create(new { plaintext = Base64(_plaintext), context = Context }),
        };
        request.Headers.Add("x-request-id", requestId);
        using var response = await _host.Client.SendAsync(request);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, json.ToString());
        return json.GetProperty("ciphertext").GetString()!;
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    /// <summary>The sample lines of a Prometheus text exposition (comments skipped).</summary>
    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            var match = SampleLine().Match(line);
            if (line.StartsWith('#') || !match.Success)
            {
                continue;
            }

            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(match.Groups["name"].Value, labels, value));
        }

        return samples;
    }

    private static double Sum(List<Sample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex LabelPair();
}

/// <summary>
/// For tests that read the process-wide "Kms" source or a host's /metrics: keep other hosts in this assembly from running
/// meanwhile. Every host's meter is named "Kms", and an OpenTelemetry MeterProvider picks meters by name, so a host's
/// exporter can adopt another live host's instruments in place of its own and lose them when that host stops (the console
/// test once saw every kms_* family vanish from its /metrics). One host per process, as deployed, never meets this.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
