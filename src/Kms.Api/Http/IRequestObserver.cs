namespace Kms.Api.Http;

/// <summary>How a request ended: its HTTP status and, for failures, the stable error code.</summary>
public sealed record RequestOutcome(int Status, string? ErrorCode, TimeSpan Elapsed)
{
    public bool Succeeded => Status < 400;
}

/// <summary>
/// Sees every API request when it completes, before its response is written; awaited, so an observer that
/// must make something durable first (the audit log) can hold the response back or fail it.
/// </summary>
public interface IRequestObserver
{
    ValueTask OnCompletedAsync(KmsRequestContext context, RequestOutcome outcome, CancellationToken cancellationToken);
}
