using System.Diagnostics;

namespace Kms.Core.Telemetry;

/// <summary>
/// The product's one ActivitySource and one Meter name (CONVENTIONS.md), and the names of every instrument and tag.
/// This file is the contract between the code that emits telemetry and everything that reads it: the Prometheus
/// rules and Grafana dashboards under infra/observability, the operator console, the Azure alerts and the runbooks.
/// docs/observability.md lists the same names with their Prometheus spelling. Tags never carry plaintext,
/// encryption-context values or key material; key ids go on spans only (unbounded cardinality), never on metrics.
/// </summary>
public static class KmsTelemetry
{
    /// <summary>The ActivitySource and Meter name of the server (both hosts).</summary>
    public const string Name = "Kms";

    /// <summary>The ActivitySource and Meter name of the .NET SDK (Kms.Client), which runs in the caller's process.</summary>
    public const string ClientName = "Kms.Client";

    /// <summary>The server's spans: one per API request, named after the route (e.g. "Encrypt").</summary>
    public static readonly ActivitySource ActivitySource = new(Name);
}

/// <summary>
/// Instrument names (OpenTelemetry spelling). The OpenTelemetry Prometheus exporter turns dots into underscores,
/// appends the unit for seconds ("_seconds") and "_total" for counters: kms.requests → kms_requests_total,
/// kms.request.duration → kms_request_duration_seconds_bucket/_sum/_count.
/// </summary>
public static class KmsMetricNames
{
    // --- API requests (both hosts; every route) -----------------------------------------------------------------
    /// <summary>Counter {request}; tags operation, result, error_code. SLIs M1, M2, M3, M5, M8.</summary>
    public const string Requests = "kms.requests";

    /// <summary>Histogram, seconds; tags operation, result. SLI M4.</summary>
    public const string RequestDuration = "kms.request.duration";

    // --- HSM connector ------------------------------------------------------------------------------------------
    /// <summary>Histogram, seconds; tags hsm_operation, result (success|failure).</summary>
    public const string HsmOperationDuration = "kms.hsm.operation.duration";

    /// <summary>Counter {lookup}; tag result (hit|miss). Server key-handle cache, SLI M9.</summary>
    public const string HsmKeyCacheLookups = "kms.hsm.key_cache.lookups";

    /// <summary>Gauge {handle}: unwrapped key handles held now.</summary>
    public const string HsmKeyCacheSize = "kms.hsm.key_cache.size";

    /// <summary>Gauge {session}: HSM sessions rented by operations now.</summary>
    public const string HsmSessionsInUse = "kms.hsm.sessions.in_use";

    /// <summary>Gauge {session}: the session pool's bound.</summary>
    public const string HsmSessionsLimit = "kms.hsm.sessions.limit";

    // --- Audit delivery (SLI M6) --------------------------------------------------------------------------------
    /// <summary>Counter {record}: audit records the service produced (one per audited request or workflow step).</summary>
    public const string AuditRecordsProduced = "kms.audit.records.produced";

    /// <summary>Counter {record}: audit records durably stored in the hash chain.</summary>
    public const string AuditRecordsStored = "kms.audit.records.stored";

    /// <summary>
    /// Histogram s; tag result (success/failure). One group commit of audit records to the store, the wait every audited
    /// request shares before its answer. Its count is the number of commits, so records per commit is
    /// kms.audit.records.stored over it.
    /// </summary>
    public const string AuditCommitDuration = "kms.audit.commit.duration";

    /// <summary>Counter {record}: audit records the Event Grid topic accepted (in AuditRecord events, up to 16 records each).</summary>
    public const string AuditRecordsPublished = "kms.audit.records.published";

    // --- Event fan-out (outbox to Event Grid) -------------------------------------------------------------------
    /// <summary>Counter {event}; tag event_type. Events the topic accepted.</summary>
    public const string EventsPublished = "kms.events.published";

    /// <summary>Counter {attempt}: publish attempts that failed.</summary>
    public const string EventsPublishFailures = "kms.events.publish_failures";

    /// <summary>Counter {row}: outbox rows set aside after failing too often.</summary>
    public const string EventsPoisoned = "kms.events.poisoned";

    /// <summary>Gauge {row}: outbox rows waiting to be published.</summary>
    public const string EventsPending = "kms.events.pending";

    /// <summary>Gauge, seconds: age of the oldest pending outbox row (audit/event delivery lag).</summary>
    public const string EventsOldestPendingAge = "kms.events.oldest_pending_age";

    // --- Workflows (SLIs M7, M10) -------------------------------------------------------------------------------
    /// <summary>Counter {operation}; tag type (rotation|rewrap|revocation|deletion|root_rotation).</summary>
    public const string OperationsStarted = "kms.operations.started";

    /// <summary>Counter {operation}; tags type, result (completed|failed|cancelled).</summary>
    public const string OperationsCompleted = "kms.operations.completed";

    /// <summary>Counter {item}; tag result (rewrapped|skipped|failed). Items of rewrap campaigns.</summary>
    public const string RewrapItems = "kms.rewrap.items";

    /// <summary>Histogram, seconds: from a revocation request being accepted to the versions being refused. SLI M10.</summary>
    public const string RevocationDuration = "kms.revocation.duration";

    // --- Kms.Client (the caller's process) ----------------------------------------------------------------------
    /// <summary>Histogram, seconds; tags operation, result. Client-side latency including retries.</summary>
    public const string ClientRequestDuration = "kms.client.request.duration";

    /// <summary>Counter {lookup}; tags side (encrypt|decrypt), result (hit|miss). Envelope data-key cache, SLI M9.</summary>
    public const string ClientDataKeyCacheLookups = "kms.client.data_key_cache.lookups";
}

/// <summary>Tag (attribute) names. Short on metrics, so PromQL stays readable; namespaced on spans.</summary>
public static class KmsTagNames
{
    public const string Operation = "operation";
    public const string Result = "result";
    public const string ErrorCode = "error_code";
    public const string HsmOperation = "hsm_operation";
    public const string Type = "type";
    public const string EventType = "event_type";
    public const string Side = "side";

    // Span attributes.
    public const string SpanOperation = "kms.operation";
    public const string SpanKeyId = "kms.key.id";
    public const string SpanKeyVersion = "kms.key.version";
    public const string SpanResult = "kms.result";
    public const string SpanErrorCode = "error.code";
    public const string SpanStatusCode = "http.response.status_code";
    public const string SpanRequestId = "kms.request.id";
}

/// <summary>Values of the <see cref="KmsTagNames.Result"/> tag on request metrics.</summary>
public static class KmsRequestResults
{
    /// <summary>2xx/3xx.</summary>
    public const string Success = "success";

    /// <summary>401 and 403: authentication or authorization refused (SLI M8).</summary>
    public const string Denied = "denied";

    /// <summary>429: the per-principal rate limit.</summary>
    public const string Throttled = "throttled";

    /// <summary>Other 4xx (bad input, not found, conflicts, revoked versions), and 499 (caller went away).</summary>
    public const string ClientError = "client_error";

    /// <summary>5xx: counts against availability.</summary>
    public const string ServerError = "server_error";

    public static string FromStatus(int status) => status switch
    {
        < 400 => Success,
        401 or 403 => Denied,
        429 => Throttled,
        < 500 => ClientError,
        _ => ServerError,
    };
}
