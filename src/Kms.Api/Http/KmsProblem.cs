using System.Text;
using System.Text.Json;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Kms.Api.Http;

/// <summary>The one place that turns a KMS error into an RFC 9457 ProblemDetails answer.</summary>
public sealed class KmsProblem : IResult
{
    public const string ContentType = "application/problem+json";

    private KmsProblem(int status, string code, string detail, string requestId, int? retryAfterSeconds)
    {
        Status = status;
        Code = code;
        Detail = detail;
        RequestId = requestId;
        RetryAfterSeconds = retryAfterSeconds;
    }

    public int Status { get; }

    public string Code { get; }

    public string Detail { get; }

    public string RequestId { get; }

    public int? RetryAfterSeconds { get; }

    public static KmsProblem From(KmsException error, string requestId) =>
        new(StatusOf(error.Kind), error.Code, error.Message, requestId, error.RetryAfterSeconds);

    public static KmsProblem Create(int status, string code, string detail, string requestId) => new(status, code, detail, requestId, null);

    public static int StatusOf(KmsErrorKind kind) => kind switch
    {
        KmsErrorKind.BadRequest => StatusCodes.Status400BadRequest,
        KmsErrorKind.NotFound => StatusCodes.Status404NotFound,
        KmsErrorKind.Conflict => StatusCodes.Status409Conflict,
        KmsErrorKind.InvalidState => StatusCodes.Status409Conflict,
        KmsErrorKind.PayloadTooLarge => StatusCodes.Status413PayloadTooLarge,
        KmsErrorKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        KmsErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        KmsErrorKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        KmsErrorKind.Forbidden => StatusCodes.Status403Forbidden,
        KmsErrorKind.Throttled => StatusCodes.Status429TooManyRequests,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>"KeyNotFound" -> "Key not found".</summary>
    public static string TitleOf(string code)
    {
        var title = new StringBuilder(code.Length + 4);
        foreach (var c in code)
        {
            if (char.IsUpper(c) && title.Length > 0)
            {
                title.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                title.Append(c);
            }
        }

        return title.ToString();
    }

    public ProblemDetails ToProblemDetails() => new()
    {
        Type = "urn:kms:error:" + Code,
        Title = TitleOf(Code),
        Status = Status,
        Detail = Detail,
        Extensions = { ["code"] = Code, ["requestId"] = RequestId },
    };

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = Status;
        response.ContentType = ContentType;
        if (Status == StatusCodes.Status401Unauthorized)
        {
            // RFC 6750: no error code when no token was sent, invalid_token with a description otherwise.
            response.Headers.WWWAuthenticate = Detail == Security.BearerTokenAuthenticator.MissingTokenMessage
                ? "Bearer realm=\"kms\""
                : $"Bearer realm=\"kms\", error=\"invalid_token\", error_description=\"{Detail}\"";
        }

        if (RetryAfterSeconds is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await JsonSerializer.SerializeAsync(response.Body, ToProblemDetails(), KmsJson.Options, httpContext.RequestAborted);
    }
}
