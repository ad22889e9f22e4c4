using Azure;
using Azure.Identity;
using Kms.Core.Errors;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Turns SDK and transport failures into <see cref="KmsErrors.StorageUnavailable"/>. Conflicts (409/412) and
/// not-found (404) are handled by each operation before they get here, since their meaning depends on it.
/// </summary>
internal static class StorageFailures
{
    /// <summary>
    /// Runs one store operation. A storage failure is logged with its details and surfaces as a
    /// StorageUnavailable <see cref="KmsException"/> whose message names nothing about the account.
    /// Cancellation by the caller passes through untouched.
    /// </summary>
    public static async Task<T> GuardAsync<T>(this ILogger logger, string operation, Func<Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception e) when (IsStorageFailure(e, cancellationToken))
        {
            logger.StorageFailed(operation, StatusOf(e), ErrorCodeOf(e), e);
            throw KmsErrors.StorageUnavailable(e);
        }
    }

    /// <summary>
    /// True for what an outage or a misconfigured account looks like: any service error the operation did not
    /// handle itself (5xx, 403, unexpected 4xx), connection failures, timeouts (which Azure.Core raises as a
    /// cancellation the caller did not ask for), the retry policy's AggregateException over those, and
    /// credential failures of a managed identity.
    /// </summary>
    public static bool IsStorageFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RequestFailedException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0
            && aggregate.InnerExceptions.All(e => IsStorageFailure(e, cancellationToken)),
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        HttpRequestException or IOException or TimeoutException or AuthenticationFailedException => true,
        _ => false,
    };

    /// <summary>
    /// A conditional write that lost: 409 (row exists) or 412 (ETag changed) from another writer, or 404 (the row
    /// vanished since it was read; the caller re-reads and sees it gone). Logged, and returned as the
    /// ConcurrentModification error naming <paramref name="what"/>.
    /// </summary>
    public static KmsException LostRace(this ILogger logger, string operation, string target, int status, string what)
    {
        if (status == 404)
        {
            logger.UpdateTargetMissing(operation, target);
        }
        else
        {
            logger.ConcurrentModification(operation, target, status);
        }

        return KmsErrors.ConcurrentModification(what);
    }

    /// <summary>The HTTP status of the failure; 0 when no response was received.</summary>
    public static int StatusOf(Exception exception) => exception switch
    {
        RequestFailedException r => r.Status,
        AggregateException a => a.InnerExceptions.OfType<RequestFailedException>().LastOrDefault()?.Status ?? 0,
        _ => 0,
    };

    public static string? ErrorCodeOf(Exception exception) => exception switch
    {
        RequestFailedException r => r.ErrorCode,
        AggregateException a => a.InnerExceptions.OfType<RequestFailedException>().LastOrDefault()?.ErrorCode,
        _ => null,
    };

    /// <summary>A short reason for the health endpoint: no exception text, which may carry URIs and response bodies.</summary>
    public static string Describe(Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException || (exception is AggregateException a && a.InnerExceptions.All(e => e is OperationCanceledException)))
        {
            return "table storage did not answer in time";
        }

        if (exception is AuthenticationFailedException)
        {
            return "could not get a token for table storage";
        }

        var status = StatusOf(exception);
        return status switch
        {
            0 when IsStorageFailure(exception, cancellationToken) => "could not connect to table storage",
            0 => "unexpected error: " + exception.GetType().Name,
            404 => "table not found (status 404); run table initialisation",
            _ => $"table storage answered status {status} {ErrorCodeOf(exception)}".TrimEnd(),
        };
    }
}
