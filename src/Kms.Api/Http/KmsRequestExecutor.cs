using Kms.Api.Security;
using Kms.Core.Errors;
using Kms.Core.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kms.Api.Http;

/// <summary>
/// The single path every API request takes in both hosts: assigns the request id, runs the handler, maps
/// failures to ProblemDetails and tells the <see cref="IRequestObserver"/>s how it ended. Authentication and
/// audit plug in here, not in handlers. It also owns the request's span and its two metrics, recorded after the
/// observers so they see the answer the caller gets (an audit failure turns a success into a 503) and the time the
/// audit write took.
/// </summary>
public sealed partial class KmsRequestExecutor
{
    private readonly IEnumerable<IRequestObserver> _observers;
    private readonly BearerTokenAuthenticator _authenticator;
    private readonly PrincipalRateLimiter _rateLimiter;
    private readonly TimeProvider _time;
    private readonly ILogger<KmsRequestExecutor> _logger;
    private readonly KmsMetrics _metrics;

    public KmsRequestExecutor(IEnumerable<IRequestObserver> observers, BearerTokenAuthenticator authenticator, PrincipalRateLimiter rateLimiter,
        TimeProvider time, ILogger<KmsRequestExecutor> logger, KmsMetrics metrics)
    {
        _observers = observers;
        _authenticator = authenticator;
        _rateLimiter = rateLimiter;
        _time = time;
        _logger = logger;
        _metrics = metrics;
    }

    /// <summary>Runs <paramref name="route"/> for <paramref name="http"/>; route values must already be set.</summary>
    public async Task<IResult> ExecuteAsync(HttpContext http, KmsRoute route)
    {
        var started = _time.GetTimestamp();
        using var activity = RequestSpan.Start(http, route.Name);
        var context = KmsRequestContext.Begin(http, route.Name);
        context.Anonymous = route.AllowAnonymous;
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["RequestId"] = context.RequestId });
        IResult result;
        try
        {
            if (!route.AllowAnonymous)
            {
                context.Caller = await _authenticator.AuthenticateAsync(http);
            }

            if (route.RateLimited)
            {
                _rateLimiter.Demand(context.Caller!.Principal);
            }

            result = await route.Handle(http);
        }
        catch (KmsException e)
        {
            if (e.Kind is KmsErrorKind.Unavailable or KmsErrorKind.Internal)
            {
                LogDependencyFailure(e, route.Name, e.Code);
            }

            result = KmsProblem.From(e, context.RequestId);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            result = KmsProblem.Create(e.StatusCode, KmsErrorCodes.PayloadTooLarge, "The request body is too large.", context.RequestId);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; nobody reads this answer, but observers still see the request.
            result = Results.StatusCode(499);
        }
#pragma warning disable CA1031 // The last line of defence: no exception type may reach a caller as a stack trace.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogUnhandled(e, route.Name);
            result = KmsProblem.Create(StatusCodes.Status500InternalServerError, KmsErrorCodes.InternalError,
                "An unexpected error occurred. Quote the request id when reporting it.", context.RequestId);
        }

        var outcome = new RequestOutcome(StatusOf(result), (result as KmsProblem)?.Code, _time.GetElapsedTime(started));
        foreach (var observer in _observers)
        {
            try
            {
                await observer.OnCompletedAsync(context, outcome, http.RequestAborted);
            }
            catch (KmsException e)
            {
                // Fail closed: an answer whose audit record is not stored is never sent (it may hold plaintext).
                LogDependencyFailure(e, route.Name, e.Code);
                result = KmsProblem.From(e, context.RequestId);
            }
        }

        var status = StatusOf(result);
        var errorCode = (result as KmsProblem)?.Code;
        _metrics.RequestCompleted(route.Name, status, errorCode, _time.GetElapsedTime(started));
        RequestSpan.Complete(activity, context, status, errorCode);
        return result;
    }

    private static int StatusOf(IResult result) => result switch
    {
        KmsProblem problem => problem.Status,
        IStatusCodeHttpResult { StatusCode: { } status } => status,
        _ => StatusCodes.Status200OK,
    };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "{Operation} failed on a dependency: {ErrorCode}")]
    private partial void LogDependencyFailure(Exception exception, string operation, string errorCode);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "{Operation} failed with an unexpected error")]
    private partial void LogUnhandled(Exception exception, string operation);
}
