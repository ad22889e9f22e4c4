using Azure;
using Grpc.Core;

namespace Kms.KubernetesPlugin;

/// <summary>
/// KMS failures as gRPC statuses the API server can act on. Messages carry the KMS error code and HTTP status only,
/// never the request (which holds the DEK seed) nor the raw response.
/// </summary>
internal static class KmsErrorMapper
{
    public static RpcException ToRpcException(Exception exception, string operation) => exception switch
    {
        RpcException rpc => rpc,
        // Azure.Core's retry policy gives up with every attempt's failure; the last one says how it ended.
        AggregateException { InnerExceptions.Count: > 0 } all => ToRpcException(all.InnerExceptions[^1], operation),
        RequestFailedException { Status: 0 } e =>
            new RpcException(new Status(StatusCode.Unavailable, $"kms unreachable during {operation}: {Describe(e)}")),
        RequestFailedException { ErrorCode: "KeyVersionRevoked" or "KeyVersionDisabled" or "KeyDisabled" or "KeyPendingDeletion" } e =>
            new RpcException(new Status(StatusCode.FailedPrecondition, $"kms refused {operation}: {e.ErrorCode} (HTTP {e.Status})")),
        RequestFailedException { Status: 401 or 403 } e =>
            new RpcException(new Status(StatusCode.PermissionDenied, $"kms refused {operation}: {e.ErrorCode ?? "Unauthorized"} (HTTP {e.Status})")),
        RequestFailedException { Status: 404 } e =>
            new RpcException(new Status(StatusCode.NotFound, $"kms refused {operation}: {e.ErrorCode} (HTTP 404)")),
        RequestFailedException { Status: 400 } e =>
            new RpcException(new Status(StatusCode.InvalidArgument, $"kms refused {operation}: {e.ErrorCode} (HTTP 400)")),
        RequestFailedException { Status: 408 or 429 or >= 500 } e =>
            new RpcException(new Status(StatusCode.Unavailable, $"kms unavailable during {operation}: {e.ErrorCode} (HTTP {e.Status})")),
        RequestFailedException e =>
            new RpcException(new Status(StatusCode.Internal, $"kms refused {operation}: {e.ErrorCode} (HTTP {e.Status})")),
        HttpRequestException or TaskCanceledException or TimeoutException =>
            new RpcException(new Status(StatusCode.Unavailable, $"kms unreachable during {operation}: {exception.GetType().Name}")),
        _ => new RpcException(new Status(StatusCode.Internal, $"{operation} failed: {exception.GetType().Name}")),
    };

    /// <summary>A transport failure: the error code (e.g. KmsCircuitOpen) or the innermost exception's type and message (socket errors name no data).</summary>
    private static string Describe(RequestFailedException e)
    {
        if (!string.IsNullOrEmpty(e.ErrorCode))
        {
            return e.ErrorCode;
        }

        var inner = e.InnerException;
        while (inner?.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner is null ? "no response" : $"{inner.GetType().Name}: {inner.Message}";
    }
}
