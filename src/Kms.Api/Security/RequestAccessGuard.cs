using Kms.Api.Http;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Api.Security;

/// <summary>
/// The access guard of API requests: asks <see cref="AccessControl"/> about the current request's caller,
/// records every decision on the request (for audit) and refuses with 403 AccessDenied.
/// </summary>
public sealed class RequestAccessGuard : IAccessGuard
{
    private readonly AccessControl _control;

    public RequestAccessGuard(AccessControl control) => _control = control;

    public string Principal => Caller(CurrentRequest()).Principal;

    public string? RequestId => KmsRequestContext.Current?.RequestId;

    public async ValueTask DemandAsync(string action, string? keyId, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken)
    {
        var request = CurrentRequest();
        var caller = Caller(request);
        var decision = await _control.DecideAsync(caller, action, keyId, context, cancellationToken);
        request.RecordDecision(action, keyId, decision);
        if (!decision.Allowed)
        {
            throw KmsErrors.AccessDenied(caller.Principal, action, keyId, decision.Reason);
        }
    }

    // No request means a code path forgot to run through the executor: fail closed, never allow.
    private static KmsRequestContext CurrentRequest() =>
        KmsRequestContext.Current ?? throw new InvalidOperationException("Access checks need a request context; none is active.");

    private static KmsCaller Caller(KmsRequestContext request) => request.Caller ?? throw KmsErrors.Unauthenticated(BearerTokenAuthenticator.MissingTokenMessage);
}
