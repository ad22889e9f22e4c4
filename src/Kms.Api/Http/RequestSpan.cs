using System.Diagnostics;
using Kms.Core.Telemetry;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Http;

/// <summary>
/// The one span of an API request, named after the route. It carries the operation, key id and version, result,
/// error code, status and request id: never payloads or encryption-context values.
/// </summary>
internal static class RequestSpan
{
    private const string TraceParentHeader = "traceparent";
    private const string TraceStateHeader = "tracestate";

    /// <summary>
    /// Starts the span (null when nobody listens). Under ASP.NET Core's own request activity it is a child of that,
    /// which already continues the caller's trace; without one (no HTTP instrumentation) it continues the caller's
    /// W3C traceparent itself.
    /// </summary>
    public static Activity? Start(HttpContext http, string operation)
    {
        var source = KmsTelemetry.ActivitySource;
        if (!source.HasListeners())
        {
            return null;
        }

        Activity? activity;
        if (Activity.Current is null
            && ActivityContext.TryParse(http.Request.Headers[TraceParentHeader].ToString(), http.Request.Headers[TraceStateHeader].ToString(),
                isRemote: true, out var remote))
        {
            activity = source.StartActivity(operation, ActivityKind.Server, remote);
        }
        else
        {
            activity = source.StartActivity(operation, Activity.Current is null ? ActivityKind.Server : ActivityKind.Internal);
        }

        activity?.SetTag(KmsTagNames.SpanOperation, operation);
        return activity;
    }

    public static void Complete(Activity? activity, KmsRequestContext context, int status, string? errorCode)
    {
        if (activity is null)
        {
            return;
        }

        // A refused request never reached the handler's SetKey: the decision names the key it was refused on.
        var keyId = context.KeyId ?? context.LastDecision?.KeyId;
        if (keyId is not null)
        {
            activity.SetTag(KmsTagNames.SpanKeyId, keyId);
        }

        if (context.KeyVersion is { } version)
        {
            activity.SetTag(KmsTagNames.SpanKeyVersion, version);
        }

        activity.SetTag(KmsTagNames.SpanResult, KmsRequestResults.FromStatus(status));
        activity.SetTag(KmsTagNames.SpanStatusCode, status);
        activity.SetTag(KmsTagNames.SpanRequestId, context.RequestId);
        if (errorCode is not null)
        {
            activity.SetTag(KmsTagNames.SpanErrorCode, errorCode);
        }

        // OpenTelemetry's server-span convention: only 5xx is an error of the service; 4xx is the caller's.
        if (status >= 500)
        {
            activity.SetStatus(ActivityStatusCode.Error, errorCode);
        }
    }
}
