using Azure;
using Kms.Client;
using Kms.Client.Envelope;

namespace Kms.Samples.SecureNotes;

/// <summary>
/// Turns a failed KMS call into the sample's own answer (RFC 9457 ProblemDetails with the KMS's <c>code</c>):
/// <list type="bullet">
/// <item>409 from the KMS (key or version disabled, revoked, destroyed, pending deletion) → 409 with that code;</item>
/// <item>404 from the KMS (the note's key is gone) → 409 as well: the note exists, its key does not;</item>
/// <item>403 AccessDenied → 403; 429 Throttled → 429;</item>
/// <item>no answer (transport failure, every retry failed), the circuit breaker open, or a KMS 5xx → 503;</item>
/// <item>any other refusal (401: the sample's own credentials; 400: a stored ciphertext the KMS cannot read) → 502.</item>
/// </list>
/// A stored message that fails its envelope checks is 422 with the reason. Nothing of the note (title, body) or of
/// the encryption context goes into the answer or the log.
/// </summary>
public static class KmsProblems
{
    /// <summary>The <c>code</c> for a KMS that did not answer (no status to pass on).</summary>
    public const string KmsUnavailable = "KmsUnavailable";

    /// <summary>True for the exceptions a KMS call (or the envelope layer around it) throws.</summary>
    public static bool IsKmsFailure(Exception e) =>
        e is RequestFailedException or EnvelopeDecryptionException
        || (e is AggregateException a && a.InnerExceptions.Count > 0 && a.InnerExceptions.All(i => i is RequestFailedException));

    public static IResult ToResult(Exception e, ILogger logger, string operation)
    {
        switch (e)
        {
            case EnvelopeDecryptionException envelope:
                logger.LogWarning("The stored note could not be opened during {Operation}: {Reason}", operation, envelope.Reason);
                return Problem(StatusCodes.Status422UnprocessableEntity, "The stored note cannot be decrypted",
                    $"The envelope message failed its checks ({envelope.Reason}).", "Envelope" + envelope.Reason, kmsStatus: null, requestId: null);

            case AggregateException aggregate:
                // Azure.Core throws this when every retry failed at the transport: the KMS never answered.
                logger.LogWarning("The KMS did not answer during {Operation} ({Attempts} attempts)", operation, aggregate.InnerExceptions.Count);
                return Problem(StatusCodes.Status503ServiceUnavailable, "The KMS is unavailable",
                    "The KMS did not answer; try again later.", KmsUnavailable, kmsStatus: null, requestId: null);

            case RequestFailedException refused:
                return FromRequestFailed(refused, logger, operation);

            default:
                throw new ArgumentException("Not a KMS failure.", nameof(e), e);
        }
    }

    private static IResult FromRequestFailed(RequestFailedException e, ILogger logger, string operation)
    {
        var requestId = e.GetRawResponse()?.Headers.TryGetValue("x-request-id", out var id) == true ? id : null;
        var code = string.IsNullOrEmpty(e.ErrorCode) ? null : e.ErrorCode;
        logger.LogWarning("The KMS refused {Operation}: status {KmsStatus}, code {KmsCode}, request id {KmsRequestId}",
            operation, e.Status, code, requestId);

        if (e.ErrorCode == KmsClient.CircuitOpenErrorCode)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "The KMS is unavailable",
                "Recent calls to the KMS failed; calls are refused for a while (circuit breaker open).", KmsClient.CircuitOpenErrorCode, null, null);
        }

        return e.Status switch
        {
            0 => Problem(StatusCodes.Status503ServiceUnavailable, "The KMS is unavailable", "The KMS did not answer; try again later.",
                KmsUnavailable, null, null),
            >= 500 => Problem(StatusCodes.Status503ServiceUnavailable, "The KMS is unavailable",
                "The KMS answered that it cannot serve the request now; try again later.", code ?? KmsUnavailable, e.Status, requestId),
            StatusCodes.Status409Conflict => Problem(StatusCodes.Status409Conflict, "The note's KMS key cannot be used",
                "The KMS refuses the key or key version that protects this note (disabled, revoked, destroyed or pending deletion).",
                code ?? "Conflict", e.Status, requestId),
            StatusCodes.Status404NotFound => Problem(StatusCodes.Status409Conflict, "The note's KMS key does not exist",
                "The KMS no longer knows the key or key version that protects this note.", code ?? "KeyNotFound", e.Status, requestId),
            StatusCodes.Status403Forbidden => Problem(StatusCodes.Status403Forbidden, "The KMS denied access",
                "This service may not use the note's KMS key.", code ?? "AccessDenied", e.Status, requestId),
            StatusCodes.Status429TooManyRequests => Problem(StatusCodes.Status429TooManyRequests, "The KMS throttled the request",
                "Too many KMS calls; try again later.", code ?? "Throttled", e.Status, requestId),
            _ => Problem(StatusCodes.Status502BadGateway, "The KMS refused the request",
                "The KMS refused a request of this service; the code says why.", code ?? "KmsRefused", e.Status, requestId),
        };
    }

    private static IResult Problem(int status, string title, string detail, string code, int? kmsStatus, string? requestId)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (kmsStatus is not null)
        {
            extensions["kmsStatus"] = kmsStatus;
        }

        if (requestId is not null)
        {
            extensions["kmsRequestId"] = requestId;
        }

        return Results.Problem(detail, statusCode: status, title: title, type: "urn:secure-notes:error:" + code, extensions: extensions);
    }
}
