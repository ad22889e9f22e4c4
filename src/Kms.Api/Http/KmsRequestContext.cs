using System.Text.RegularExpressions;
using Kms.Core.Authorization;
using Kms.Core.Crypto;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Http;

/// <summary>
/// What is known about one API request: who sent it, which operation, and which key and version it touched.
/// Created by <see cref="KmsRequestExecutor"/> before a handler runs; handlers fill in the key they resolved.
/// Authentication sets <see cref="Caller"/>; the access guard records its decisions; audit reads the whole
/// context when the request completes.
/// </summary>
public sealed partial class KmsRequestContext
{
    public const string RequestIdHeader = "x-request-id";

    private static readonly AsyncLocal<KmsRequestContext?> CurrentContext = new();
    private readonly List<RecordedDecision> _decisions = [];

    private KmsRequestContext(string requestId, string operation, string? callerAddress)
    {
        RequestId = requestId;
        Operation = operation;
        CallerAddress = callerAddress;
    }

    /// <summary>The request being served on this asynchronous flow, if any.</summary>
    public static KmsRequestContext? Current => CurrentContext.Value;

    public string RequestId { get; }

    /// <summary>The route name, e.g. <c>Encrypt</c>.</summary>
    public string Operation { get; }

    /// <summary>The authenticated caller; null on anonymous routes and before authentication.</summary>
    public KmsCaller? Caller { get; internal set; }

    /// <summary>Every authorization decision taken for this request, in order (a batch can touch several keys).</summary>
    public IReadOnlyList<RecordedDecision> Decisions => _decisions;

    /// <summary>The decision that settled the request (the last one taken), for logs and audit; null if none was needed.</summary>
    public RecordedDecision? LastDecision => _decisions.Count > 0 ? _decisions[^1] : null;

    public string? CallerAddress { get; }

    /// <summary>The route needs no token (the health probe); such requests are not audited.</summary>
    public bool Anonymous { get; internal set; }

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

    public void RecordDecision(string action, string? keyId, AccessDecision decision)
    {
        lock (_decisions)
        {
            _decisions.Add(new RecordedDecision(action, keyId, decision));
        }
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
        var requestId = RequestIdPattern().IsMatch(supplied) ? supplied : BufferedRandom.NewId();
        http.TraceIdentifier = requestId;
        http.Response.Headers[RequestIdHeader] = requestId;
        var context = new KmsRequestContext(requestId, operation, http.Connection.RemoteIpAddress?.ToString());
        http.Features.Set(context);
        CurrentContext.Value = context;
        return context;
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,64}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex RequestIdPattern();
}

/// <summary>One authorization decision: the action, the key (null for key-independent actions) and the outcome with its reason.</summary>
public sealed record RecordedDecision(string Action, string? KeyId, AccessDecision Decision);
