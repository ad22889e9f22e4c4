using System.Diagnostics.Metrics;

namespace Kms.Client.Telemetry;

/// <summary>
/// Names the SDK's telemetry uses. They are the catalog's (Kms.Core.Telemetry.KmsTelemetry, KmsMetricNames, KmsTagNames,
/// KmsRequestResults in the server), copied because the SDK does not reference the server's domain; a test in
/// Kms.Client.Tests keeps the two equal.
/// </summary>
internal static class ClientTelemetryNames
{
    public const string MeterName = "Kms.Client";
    public const string RequestDuration = "kms.client.request.duration";
    public const string DataKeyCacheLookups = "kms.client.data_key_cache.lookups";

    public const string Operation = "operation";
    public const string Result = "result";
    public const string Side = "side";

    public const string Success = "success";
    public const string Denied = "denied";
    public const string Throttled = "throttled";
    public const string ClientError = "client_error";
    public const string ServerError = "server_error";
}

/// <summary>
/// The SDK's instruments on the <c>Kms.Client</c> meter, which the application adds to its own OpenTelemetry setup
/// (<c>.AddMeter("Kms.Client")</c>). A library has no DI container of its own, so the meter is static, as in the Azure SDK.
/// Tags carry the operation and outcome only, never key ids, payloads or context values.
/// </summary>
internal static class ClientMetrics
{
    private static readonly Meter Meter = new(ClientTelemetryNames.MeterName, typeof(ClientMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Histogram<double> RequestDuration = Meter.CreateHistogram(ClientTelemetryNames.RequestDuration, "s",
        "KMS calls as the client sees them, retries included.",
        advice: new InstrumentAdvice<double>
        {
            HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        });

    private static readonly Counter<long> DataKeyCacheLookups = Meter.CreateCounter<long>(ClientTelemetryNames.DataKeyCacheLookups, "{lookup}",
        "Envelope data-key cache look-ups by side (encrypt, decrypt) and result (hit, miss).");

    /// <summary>One call ended with <paramref name="status"/> (null: no answer, e.g. a connection failure or an open circuit).</summary>
    public static void RequestCompleted(string operation, int? status, bool cancelled, TimeSpan elapsed)
    {
        if (!RequestDuration.Enabled)
        {
            return;
        }

        RequestDuration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>(ClientTelemetryNames.Operation, operation),
            new KeyValuePair<string, object?>(ClientTelemetryNames.Result, Result(status, cancelled)));
    }

    /// <summary>Runs once per envelope message: with no listener on the meter it costs one flag check.</summary>
    public static void DataKeyCacheLookup(bool encrypt, bool hit)
    {
        if (!DataKeyCacheLookups.Enabled)
        {
            return;
        }

        DataKeyCacheLookups.Add(1,
            new KeyValuePair<string, object?>(ClientTelemetryNames.Side, encrypt ? "encrypt" : "decrypt"),
            new KeyValuePair<string, object?>(ClientTelemetryNames.Result, hit ? "hit" : "miss"));
    }

    /// <summary>The server's mapping (KmsRequestResults.FromStatus); no answer at all counts as a server error, a cancelled call as the caller's.</summary>
    internal static string Result(int? status, bool cancelled) => status switch
    {
        null when cancelled => ClientTelemetryNames.ClientError,
        null => ClientTelemetryNames.ServerError,
        < 400 => ClientTelemetryNames.Success,
        401 or 403 => ClientTelemetryNames.Denied,
        429 => ClientTelemetryNames.Throttled,
        < 500 => ClientTelemetryNames.ClientError,
        _ => ClientTelemetryNames.ServerError,
    };

    /// <summary>"EncryptCoreAsync" → "Encrypt": the SDK method that made the call, a short fixed set of names.</summary>
    internal static string OperationName(string callerMember)
    {
        var name = callerMember.EndsWith("Async", StringComparison.Ordinal) ? callerMember[..^5] : callerMember;
        return name.EndsWith("Core", StringComparison.Ordinal) && name.Length > 4 ? name[..^4] : name;
    }
}
