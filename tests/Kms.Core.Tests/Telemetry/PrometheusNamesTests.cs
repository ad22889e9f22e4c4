using Kms.Core.Tests.Telemetry.Observability;

namespace Kms.Core.Tests.Telemetry;

public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("kms.requests", InstrumentKind.Counter, "{request}", "kms_requests_total")]
    [InlineData("kms.request.duration", InstrumentKind.Histogram, "s", "kms_request_duration_seconds")]
    [InlineData("kms.events.oldest_pending_age", InstrumentKind.Gauge, "s", "kms_events_oldest_pending_age_seconds")]
    [InlineData("kms.hsm.sessions.in_use", InstrumentKind.Gauge, "{session}", "kms_hsm_sessions_in_use")]
    [InlineData("kms.hsm.key_cache.lookups", InstrumentKind.Counter, "{lookup}", "kms_hsm_key_cache_lookups_total")]
    [InlineData("kms.events.publish_failures", InstrumentKind.Counter, "", "kms_events_publish_failures_total")]
    [InlineData("queue.wait_seconds", InstrumentKind.Gauge, "s", "queue_wait_seconds")]
    [InlineData("jobs.done_total", InstrumentKind.Counter, "{job}", "jobs_done_total")]
    [InlineData("payload.size", InstrumentKind.Histogram, "By", "payload_size_bytes")]
    [InlineData("a-b./c", InstrumentKind.Gauge, "", "a_b_c")]
    public void Family_FollowsTheExporterRules(string instrument, InstrumentKind kind, string unit, string expected)
    {
        Assert.Equal(expected, PrometheusNames.Family(instrument, kind, unit));
    }

    [Fact]
    public void SeriesNames_Histogram_AreBucketSumAndCount()
    {
        var names = PrometheusNames.SeriesNames("kms.request.duration", InstrumentKind.Histogram, "s");

        Assert.Equal(["kms_request_duration_seconds_bucket", "kms_request_duration_seconds_sum", "kms_request_duration_seconds_count"], names);
    }

    [Fact]
    public void SeriesNames_CounterAndGauge_AreTheFamilyAlone()
    {
        Assert.Equal(["kms_requests_total"], PrometheusNames.SeriesNames("kms.requests", InstrumentKind.Counter, "{request}"));
        Assert.Equal(["kms_events_pending"], PrometheusNames.SeriesNames("kms.events.pending", InstrumentKind.Gauge, "{row}"));
    }
}
