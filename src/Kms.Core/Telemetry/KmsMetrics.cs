using System.Diagnostics.Metrics;

namespace Kms.Core.Telemetry;

/// <summary>
/// Every server instrument, on the one <see cref="KmsTelemetry.Name"/> meter, with the names, units and tags of
/// <see cref="KmsMetricNames"/> and <see cref="KmsTagNames"/>. One singleton per host (registered by AddKmsApi, the
/// HSM connector and the event dispatcher with TryAdd); components take it by DI and call the methods below, so no
/// component spells an instrument name itself. Tags never carry key ids, plaintext or encryption-context values.
/// </summary>
public sealed class KmsMetrics : IDisposable
{
    // Prometheus' default buckets stop at 10 s and start at 5 ms; KMS calls are often sub-millisecond.
    private static readonly double[] LatencyBuckets =
        [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    // Revocation is measured from acceptance to refusal: milliseconds normally, the SLO is in seconds to minutes.
    private static readonly double[] RevocationBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    private static readonly string[] OperationTypes = ["rotation", "rewrap", "revocation", "deletion", "root_rotation"];
    private static readonly string[] OperationResults = ["completed", "failed", "cancelled"];
    private static readonly string[] RewrapResults = ["rewrapped", "skipped", "failed"];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _hsmDuration;
    private readonly Counter<long> _hsmCacheLookups;
    private readonly Counter<long> _auditProduced;
    private readonly Counter<long> _auditStored;
    private readonly Counter<long> _auditPublished;
    private readonly Histogram<double> _auditCommitDuration;
    private readonly Counter<long> _eventsPublished;
    private readonly Counter<long> _eventsFailures;
    private readonly Counter<long> _eventsPoisoned;
    private readonly Counter<long> _operationsStarted;
    private readonly Counter<long> _operationsCompleted;
    private readonly Counter<long> _rewrapItems;
    private readonly Histogram<double> _revocationDuration;
    private readonly GaugeSources<IHsmGaugeSource> _hsm = new();
    private readonly GaugeSources<IEventBacklogSource> _backlog = new();

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of its own when there is none (tests, tools).</summary>
    public KmsMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(KmsTelemetry.Name) ?? new Meter(KmsTelemetry.Name);
        _ownsMeter = meterFactory is null;

        _requests = _meter.CreateCounter<long>(KmsMetricNames.Requests, "{request}", "API requests by operation, result and error code.");
        _requestDuration = _meter.CreateHistogram(KmsMetricNames.RequestDuration, "s", "API request duration, audit write included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });

        _hsmDuration = _meter.CreateHistogram(KmsMetricNames.HsmOperationDuration, "s", "HSM calls (session and key lease included).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _hsmCacheLookups = _meter.CreateCounter<long>(KmsMetricNames.HsmKeyCacheLookups, "{lookup}", "Key-handle cache look-ups, hit or miss (unwrap).");
        _meter.CreateObservableGauge(KmsMetricNames.HsmKeyCacheSize, () => Observe(_hsm, s => s.KeyCacheSize), "{handle}",
            "Unwrapped key handles held now.");
        _meter.CreateObservableGauge(KmsMetricNames.HsmSessionsInUse, () => Observe(_hsm, s => s.SessionsInUse), "{session}",
            "HSM sessions rented by operations now.");
        _meter.CreateObservableGauge(KmsMetricNames.HsmSessionsLimit, () => Observe(_hsm, s => s.SessionsLimit), "{session}",
            "The HSM session pool's bound.");

        _auditProduced = _meter.CreateCounter<long>(KmsMetricNames.AuditRecordsProduced, "{record}", "Audit records produced.");
        _auditStored = _meter.CreateCounter<long>(KmsMetricNames.AuditRecordsStored, "{record}", "Audit records durably stored in the hash chain.");
        _auditCommitDuration = _meter.CreateHistogram(KmsMetricNames.AuditCommitDuration, "s",
            "Group commits of audit records to the store, by result.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _auditPublished = _meter.CreateCounter<long>(KmsMetricNames.AuditRecordsPublished, "{record}", "Audit records accepted by the Event Grid topic (in AuditRecord events, up to 16 records each).");

        _eventsPublished = _meter.CreateCounter<long>(KmsMetricNames.EventsPublished, "{event}", "Events the topic accepted.");
        _eventsFailures = _meter.CreateCounter<long>(KmsMetricNames.EventsPublishFailures, "{attempt}", "Publish attempts that failed.");
        _eventsPoisoned = _meter.CreateCounter<long>(KmsMetricNames.EventsPoisoned, "{row}", "Outbox rows set aside after failing too often.");
        _meter.CreateObservableGauge(KmsMetricNames.EventsPending, () => Observe(_backlog, s => s.PendingRows), "{row}",
            "Outbox rows waiting to be published (as of the last sweep, less those published since).");
        _meter.CreateObservableGauge(KmsMetricNames.EventsOldestPendingAge, () => ObserveMax(_backlog, s => s.OldestPendingAgeSeconds), "s",
            "Age of the oldest pending outbox row at the last sweep.");

        _operationsStarted = _meter.CreateCounter<long>(KmsMetricNames.OperationsStarted, "{operation}", "Durable operations started.");
        _operationsCompleted = _meter.CreateCounter<long>(KmsMetricNames.OperationsCompleted, "{operation}", "Durable operations that ended.");
        _rewrapItems = _meter.CreateCounter<long>(KmsMetricNames.RewrapItems, "{item}", "Items of rewrap campaigns by outcome.");
        _revocationDuration = _meter.CreateHistogram(KmsMetricNames.RevocationDuration, "s",
            "From a revocation request being accepted to its versions being refused.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RevocationBuckets });
    }

    /// <summary>The meter the instruments live on (for tests that listen to it).</summary>
    public Meter Meter => _meter;

    /// <summary>One API request ended: counted by operation, result and error code, timed by operation and result.</summary>
    public void RequestCompleted(string operation, int status, string? errorCode, TimeSpan elapsed)
    {
        var result = KmsRequestResults.FromStatus(status);
        _requests.Add(1,
            new KeyValuePair<string, object?>(KmsTagNames.Operation, operation),
            new KeyValuePair<string, object?>(KmsTagNames.Result, result),
            new KeyValuePair<string, object?>(KmsTagNames.ErrorCode, errorCode ?? "none"));
        _requestDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>(KmsTagNames.Operation, operation),
            new KeyValuePair<string, object?>(KmsTagNames.Result, result));
    }

    /// <summary>One HSM call ended; <paramref name="hsmOperation"/> is a fixed name such as <c>encrypt</c> or <c>unwrap</c>.</summary>
    public void HsmOperationCompleted(string hsmOperation, bool succeeded, TimeSpan elapsed) =>
        _hsmDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>(KmsTagNames.HsmOperation, hsmOperation),
            SuccessOrFailure(succeeded));

    public void HsmKeyCacheLookup(bool hit) =>
        _hsmCacheLookups.Add(1, new KeyValuePair<string, object?>(KmsTagNames.Result, hit ? "hit" : "miss"));

    /// <summary>Reports the HSM gauges from <paramref name="source"/> until the returned handle is disposed.</summary>
    public IDisposable ObserveHsm(IHsmGaugeSource source) => _hsm.Add(source);

    public void AuditRecordsProduced(int count = 1) => _auditProduced.Add(count);

    public void AuditRecordsStored(int count) => _auditStored.Add(count);

    public void AuditRecordsPublished(int count) => _auditPublished.Add(count);

    public void AuditCommitCompleted(bool succeeded, TimeSpan elapsed) =>
        _auditCommitDuration.Record(elapsed.TotalSeconds, SuccessOrFailure(succeeded));

    /// <summary>The <c>result</c> tag of the HSM-call and audit-commit histograms.</summary>
    private static KeyValuePair<string, object?> SuccessOrFailure(bool succeeded) =>
        new(KmsTagNames.Result, succeeded ? "success" : "failure");

    public void EventsPublished(string eventType, int count) =>
        _eventsPublished.Add(count, new KeyValuePair<string, object?>(KmsTagNames.EventType, eventType));

    public void EventPublishFailed() => _eventsFailures.Add(1);

    public void EventPoisoned() => _eventsPoisoned.Add(1);

    /// <summary>Reports the outbox gauges from <paramref name="source"/> until the returned handle is disposed.</summary>
    public IDisposable ObserveEventBacklog(IEventBacklogSource source) => _backlog.Add(source);

    /// <summary>A durable operation was scheduled; <paramref name="type"/> is one of rotation, rewrap, revocation, deletion, root_rotation.</summary>
    public void OperationStarted(string type) => _operationsStarted.Add(1, new KeyValuePair<string, object?>(KmsTagNames.Type, TypeTag(type)));

    /// <summary>A durable operation ended; <paramref name="result"/> is completed, failed or cancelled.</summary>
    public void OperationCompleted(string type, string result) =>
        _operationsCompleted.Add(1,
            new KeyValuePair<string, object?>(KmsTagNames.Type, TypeTag(type)),
            new KeyValuePair<string, object?>(KmsTagNames.Result, result));

    /// <summary>Items of one rewrap page by outcome (rewrapped, skipped, failed); zero counts are not recorded.</summary>
    public void RewrapItems(int rewrapped, int skipped, int failed)
    {
        Add(_rewrapItems, rewrapped, "rewrapped");
        Add(_rewrapItems, skipped, "skipped");
        Add(_rewrapItems, failed, "failed");

        static void Add(Counter<long> counter, int count, string result)
        {
            if (count > 0)
            {
                counter.Add(count, new KeyValuePair<string, object?>(KmsTagNames.Result, result));
            }
        }
    }

    /// <summary>
    /// Records zero on every counter series whose tag values are known in advance (operation types and results, rewrap
    /// outcomes, event failures, published audit records), so each exists from the first scrape: an alert on
    /// <c>increase(...)</c> or a ratio over a series that was never written would otherwise see no data, not zero.
    /// Call once the metrics pipeline listens (host start); calling it again adds nothing.
    /// </summary>
    public void InitializeKnownSeries()
    {
        foreach (var type in OperationTypes)
        {
            _operationsStarted.Add(0, new KeyValuePair<string, object?>(KmsTagNames.Type, type));
            foreach (var result in OperationResults)
            {
                _operationsCompleted.Add(0,
                    new KeyValuePair<string, object?>(KmsTagNames.Type, type),
                    new KeyValuePair<string, object?>(KmsTagNames.Result, result));
            }
        }

        foreach (var result in RewrapResults)
        {
            _rewrapItems.Add(0, new KeyValuePair<string, object?>(KmsTagNames.Result, result));
        }

        _eventsFailures.Add(0);
        _eventsPoisoned.Add(0);
        _auditPublished.Add(0);
    }

    public void RevocationCompleted(TimeSpan elapsed) => _revocationDuration.Record(Math.Max(0, elapsed.TotalSeconds));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    // The status API spells root rotation "rootrotation" (operation ids have no separators); the catalog says root_rotation.
    private static string TypeTag(string type) => type == "rootrotation" ? "root_rotation" : type;

    private static IEnumerable<Measurement<long>> Observe<T>(GaugeSources<T> sources, Func<T, long> read)
        where T : class
    {
        var list = sources.Snapshot();
        // No source yet (the connector is created on first use): report nothing rather than a misleading zero limit.
        return list.Length == 0 ? [] : [new Measurement<long>(list.Sum(read))];
    }

    private static IEnumerable<Measurement<double>> ObserveMax<T>(GaugeSources<T> sources, Func<T, double> read)
        where T : class
    {
        var list = sources.Snapshot();
        return list.Length == 0 ? [] : [new Measurement<double>(list.Max(read))];
    }

    /// <summary>The live objects a gauge reads; a host normally has one, tests may build several (the gauge reports their sum).</summary>
    private sealed class GaugeSources<T>
        where T : class
    {
        private readonly Lock _gate = new();
        private T[] _sources = [];

        public T[] Snapshot() => Volatile.Read(ref _sources);

        public IDisposable Add(T source)
        {
            lock (_gate)
            {
                _sources = [.. _sources, source];
            }

            return new Registration(this, source);
        }

        private void Remove(T source)
        {
            lock (_gate)
            {
                _sources = _sources.Where(s => !ReferenceEquals(s, source)).ToArray();
            }
        }

        private sealed class Registration(GaugeSources<T> owner, T source) : IDisposable
        {
            private int _disposed;

            public void Dispose()
            {
                if (Interlocked.Exchange(ref _disposed, 1) == 0)
                {
                    owner.Remove(source);
                }
            }
        }
    }
}

/// <summary>What the HSM gauges read: the connector's live figures.</summary>
public interface IHsmGaugeSource
{
    long KeyCacheSize { get; }

    long SessionsInUse { get; }

    long SessionsLimit { get; }
}

/// <summary>What the outbox gauges read: the dispatcher's backlog as of its last sweep.</summary>
public interface IEventBacklogSource
{
    long PendingRows { get; }

    double OldestPendingAgeSeconds { get; }
}
