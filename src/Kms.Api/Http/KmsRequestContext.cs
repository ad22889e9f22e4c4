using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Http;

/// <summary>
/// What is known about one API request: who sent it, which operation, and which key and version it touched.
/// Created by <see cref="KmsRequestExecutor"/> before a handler runs; handlers fill in the key they resolved.
/// Authentication sets <see cref="Principal"/>; audit reads the whole context when the request completes.
/// </summary>
public sealed partial class KmsRequestContext
{
    public const string RequestIdHeader = "x-request-id";

    private KmsRequestContext(string requestId, string operation, ClaimsPrincipal principal, string? callerAddress)
    {
        RequestId = requestId;
        Operation = operation;
        Principal = principal;
        CallerAddress = callerAddress;
    }

    public string RequestId { get; }

    /// <summary>The route name, e.g. <c>Encrypt</c>.</summary>
    public string Operation { get; }

    /// <summary>The caller. Until authentication is configured it is the host's (anonymous) user.</summary>
    public ClaimsPrincipal Principal { get; set; }

    public string? CallerAddress { get; }

    public string? KeyId { get; private set; }

    public int? KeyVersion { get; private set; }

    /// <summary>Encryption-context keys of the request (never values), for audit.</summary>
    public IReadOnlyList<string>? ContextKeys { get; private set; }

    /// <summary>Records the key a handler acted on, for logs and audit.</summary>
    public void SetKey(string? keyId, int? version = null)
    {
        KeyId = keyId;
        KeyVersion = version;
    }

    public void SetContextKeys(IReadOnlyList<string> keys)
    {
        if (keys.Count > 0)
        {
            ContextKeys = keys;
        }
    }

    public static KmsRequestContext Of(HttpContext http) =>
        http.Features.Get<KmsRequestContext>() ?? throw new InvalidOperationException("The request did not pass through KmsRequestExecutor.");

    internal static KmsRequestContext Begin(HttpContext http, string operation)
    {
        var supplied = http.Request.Headers[RequestIdHeader].ToString();
        // Accept a caller's id only when it is short and plain, so it is safe in logs and headers.
        var requestId = RequestIdPattern().IsMatch(supplied) ? supplied : Guid.NewGuid().ToString("N");
        http.TraceIdentifier = requestId;
        http.Response.Headers[RequestIdHeader] = requestId;
        var context = new KmsRequestContext(requestId, operation, http.User, http.Connection.RemoteIpAddress?.ToString());
        http.Features.Set(context);
        return context;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex RequestIdPattern();
}
