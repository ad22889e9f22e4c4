using Microsoft.Extensions.Logging;

namespace Kms.Api.Http;

/// <summary>One structured log line per request: operation, key, version, status, error code, duration. Never payloads.</summary>
public sealed partial class RequestLogObserver : IRequestObserver
{
    private readonly ILogger<RequestLogObserver> _logger;

    public RequestLogObserver(ILogger<RequestLogObserver> logger) => _logger = logger;

    public ValueTask OnCompletedAsync(KmsRequestContext context, RequestOutcome outcome, CancellationToken cancellationToken)
    {
        if (_logger.IsEnabled(LogLevel.Information))
        {
            // The last authorization decision explains a 403 (or what allowed the request); never context values.
            var decision = context.LastDecision?.Decision.Reason;
            LogCompleted(context.RequestId, context.Operation, context.Caller?.Principal, context.KeyId, context.KeyVersion, outcome.Status,
                outcome.ErrorCode, decision, outcome.Elapsed.TotalMilliseconds);
        }

        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information,
        Message = "Request {RequestId} {Operation} principal={Principal} key={KeyId} version={KeyVersion} -> {Status} {ErrorCode} decision={Decision} in {ElapsedMs:F2} ms")]
    private partial void LogCompleted(string requestId, string operation, string? principal, string? keyId, int? keyVersion, int status, string? errorCode,
        string? decision, double elapsedMs);
}
