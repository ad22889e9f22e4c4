using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kms.Cli;

/// <summary>
/// The KMS the CLI talks to: <c>--endpoint</c>/<c>$KMS_ENDPOINT</c> (default the local host) with
/// <c>--token</c>/<c>$KMS_TOKEN</c>, else a short-lived token of the local dev issuer for the command's
/// default roles, so the commands work against <c>infra/local/up.sh</c> out of the box.
/// </summary>
internal sealed class KmsConnection : IDisposable
{
    public const string DefaultEndpoint = "http://127.0.0.1:7071";
    public const string EndpointVariable = "KMS_ENDPOINT";
    public const string TokenVariable = "KMS_TOKEN";
    public const string DefaultPrincipal = "kms-cli";
    public static readonly string[] Options = ["endpoint", "token"];
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MintedTokenLifetime = TimeSpan.FromMinutes(5);

    private readonly HttpClient _client;

    private KmsConnection(Uri endpoint, string token, HttpMessageHandler handler)
    {
        Endpoint = endpoint;
        _client = new HttpClient(handler, disposeHandler: false) { BaseAddress = endpoint, Timeout = Timeout };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The base address, always ending in '/', so routes resolve under a path prefix too.</summary>
    public Uri Endpoint { get; }

    public static KmsConnection Create(CliArguments parsed, CliContext context, params string[] defaultRoles) =>
        new(ResolveEndpoint(parsed, context), ResolveToken(parsed, context, defaultRoles), context.Handler);

    /// <summary>The same endpoint with another principal's token (e.g. an approver's).</summary>
    public KmsConnection WithToken(string token, CliContext context) => new(Endpoint, token, context.Handler);

    public static Uri ResolveEndpoint(CliArguments parsed, CliContext context)
    {
        var text = parsed.Single("endpoint") ?? context.Env(EndpointVariable) ?? DefaultEndpoint;
        return Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"endpoint '{text}' is not an http(s) URL");
    }

    public static string ResolveToken(CliArguments parsed, CliContext context, params string[] defaultRoles)
    {
        if ((parsed.Single("token") ?? context.Env(TokenVariable))?.Trim() is { Length: > 0 } token)
        {
            return token;
        }

        var issuer = DevTokens.Load(DevTokens.KeyFile(null, context), DevTokens.Issuer(null, context), context.CurrentDirectory);
        return issuer.Mint(DefaultPrincipal, defaultRoles, DevTokens.Audience(null, context), context.Time.GetUtcNow(), MintedTokenLifetime);
    }

    /// <param name="path">Relative to the endpoint, e.g. <c>api/audit</c>.</param>
    public Task<KmsResponse> GetAsync(string path, string? accept = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        return SendAsync(request);
    }

    public Task<KmsResponse> PostJsonAsync(string path, string json) => SendAsync(WithJson(HttpMethod.Post, path, json));

    public Task<KmsResponse> PutJsonAsync(string path, string json) => SendAsync(WithJson(HttpMethod.Put, path, json));

    public Task<KmsResponse> DeleteAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Delete, path));

    public void Dispose() => _client.Dispose();

    private static HttpRequestMessage WithJson(HttpMethod method, string path, string json) =>
        new(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private async Task<KmsResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            try
            {
                using var response = await _client.SendAsync(request);
                var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? (int)Math.Ceiling(delta.TotalSeconds) : (int?)null;
                return new KmsResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync()) { RetryAfterSeconds = retryAfter };
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot reach the KMS at {Endpoint}: {e.Message}", ExitCodes.Unavailable,
                    "start it (`infra/local/up.sh` locally) or point --endpoint / KMS_ENDPOINT at it");
            }
            catch (TaskCanceledException)
            {
                throw new CliException($"the KMS at {Endpoint} did not answer within {Timeout.TotalSeconds:0} s", ExitCodes.Unavailable,
                    "retry later; GET /api/health shows whether its HSM and storage answer");
            }
        }
    }
}

/// <summary>An HTTP answer of the KMS: status and body text.</summary>
internal readonly record struct KmsResponse(int Status, string Body)
{
    public bool IsSuccess => Status is >= 200 and <= 299;

    /// <summary>Seconds from a Retry-After header (429 and 503 answers).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>"error 403 AccessDenied: ..." from a ProblemDetails body; just the status when the body is not one.</summary>
    public string DescribeProblem() => Problem() is { } p ? $"error {Status} {p.Code}: {p.Detail}" : $"error {Status}";

    /// <summary>Returns this answer when it is a success; otherwise fails the command with the problem, its exit code and a hint.</summary>
    /// <param name="keyId">The key the command named, so the hint can show the command to run next.</param>
    public KmsResponse EnsureSuccess(string? keyId = null)
    {
        if (IsSuccess)
        {
            return this;
        }

        var problem = Problem();
        var message = DescribeProblem() + (problem?.Code == Core.Errors.KmsErrorCodes.InternalError && problem.Value.RequestId is { } r ? $" (request id {r})" : "");
        throw new CliException(message, ProblemHints.ExitCodeFor(Status),
            ProblemHints.HintFor(Status, problem?.Code, keyId, problem?.RequestId, RetryAfterSeconds));
    }

    private (string Code, string Detail, string? RequestId)? Problem()
    {
        try
        {
            using var document = JsonDocument.Parse(Body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                var requestId = root.TryGetProperty("requestId", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                return (code.GetString()!, detail.GetString()!, requestId);
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
