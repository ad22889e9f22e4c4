using Kms.Core.Telemetry;

namespace Kms.Core.Tests.Telemetry.Observability;

/// <summary>
/// The kind and unit of every instrument of <see cref="KmsMetricNames"/>, as its documentation states them; a test
/// proves the table lists every constant, so a new instrument cannot be left out of the Prometheus checks.
/// </summary>
public static class CatalogInstruments
{
    public static IReadOnlyList<CatalogInstrument> All { get; } =
    [
        new(KmsMetricNames.Requests, InstrumentKind.Counter, "{request}"),
        new(KmsMetricNames.RequestDuration, InstrumentKind.Histogram, "s"),
        new(KmsMetricNames.HsmOperationDuration, InstrumentKind.Histogram, "s"),
        new(KmsMetricNames.HsmKeyCacheLookups, InstrumentKind.Counter, "{lookup}"),
        new(KmsMetricNames.HsmKeyCacheSize, InstrumentKind.Gauge, "{handle}"),
        new(KmsMetricNames.HsmSessionsInUse, InstrumentKind.Gauge, "{session}"),
        new(KmsMetricNames.HsmSessionsLimit, InstrumentKind.Gauge, "{session}"),
        new(KmsMetricNames.AuditRecordsProduced, InstrumentKind.Counter, "{record}"),
        new(KmsMetricNames.AuditRecordsStored, InstrumentKind.Counter, "{record}"),
        new(KmsMetricNames.AuditRecordsPublished, InstrumentKind.Counter, "{record}"),
        new(KmsMetricNames.AuditCommitDuration, InstrumentKind.Histogram, "s"),
        new(KmsMetricNames.EventsPublished, InstrumentKind.Counter, "{event}"),
        new(KmsMetricNames.EventsPublishFailures, InstrumentKind.Counter, "{attempt}"),
        new(KmsMetricNames.EventsPoisoned, InstrumentKind.Counter, "{row}"),
        new(KmsMetricNames.EventsPending, InstrumentKind.Gauge, "{row}"),
        new(KmsMetricNames.EventsOldestPendingAge, InstrumentKind.Gauge, "s"),
        new(KmsMetricNames.OperationsStarted, InstrumentKind.Counter, "{operation}"),
        new(KmsMetricNames.OperationsCompleted, InstrumentKind.Counter, "{operation}"),
        new(KmsMetricNames.RewrapItems, InstrumentKind.Counter, "{item}"),
        new(KmsMetricNames.RevocationDuration, InstrumentKind.Histogram, "s"),
        // Kms.Client runs in the caller's process: its metrics come from the applications, not from the KMS's /metrics.
        new(KmsMetricNames.ClientRequestDuration, InstrumentKind.Histogram, "s", CallerSide: true),
        new(KmsMetricNames.ClientDataKeyCacheLookups, InstrumentKind.Counter, "{lookup}", CallerSide: true),
    ];

    /// <summary>The instrument a Prometheus series name belongs to, or null when it is no catalog series.</summary>
    public static CatalogInstrument? FindBySeries(string seriesName) =>
        All.FirstOrDefault(i => i.SeriesNames.Contains(seriesName, StringComparer.Ordinal));
}
