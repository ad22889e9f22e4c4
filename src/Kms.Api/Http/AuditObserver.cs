using Kms.Core.Audit;

namespace Kms.Api.Http;

/// <summary>
/// Writes the audit record of every authenticated-route request, allowed or denied, and waits until it is
/// stored: the response is not sent before. A storage failure surfaces as AuditUnavailable (503).
/// </summary>
public sealed class AuditObserver : IRequestObserver
{
    private readonly AuditLog _log;
    private readonly TimeProvider _time;

    public AuditObserver(AuditLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    public async ValueTask OnCompletedAsync(KmsRequestContext context, RequestOutcome outcome, CancellationToken cancellationToken)
    {
        if (context.Anonymous)
        {
            return;
        }

        var last = context.LastDecision;
        // A refused request never reached the handler's SetKey: the decision names the key it was refused on.
        await _log.AppendAsync(new AuditEntry(_time.GetUtcNow(), context.Caller?.Principal, context.Caller?.TokenRoles ?? [], context.Operation,
            context.KeyId ?? last?.KeyId, context.KeyVersion, outcome.Status, outcome.ErrorCode, last?.Decision.Reason, context.RequestId, context.CallerAddress,
            context.ContextKeys ?? []));
    }
}
