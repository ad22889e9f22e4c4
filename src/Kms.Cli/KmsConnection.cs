using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kms.Cli;

/// <summary>
/// The KMS the CLI talks to: <c>--endpoint</c>/<c>$KMS_ENDPOINT</c> (default the local host) with
/// <c>--token</c>/<c>$KMS_TOKEN</c>, else a short-lived token of the local dev issuer for the command's
/// default role, so the commands work against <c>infra/local/up.sh</c> out of the box.
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

    public static KmsConnection Create(CliArguments parsed, CliContext context, string defaultRole) =>
        new(ResolveEndpoint(parsed, context), ResolveToken(parsed, context, defaultRole), context.Handler);

    public static Uri ResolveEndpoint(CliArguments parsed, CliContext context)
    {
        var text = parsed.Single("endpoint") ?? context.Env(EndpointVariable) ?? DefaultEndpoint;
        return Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new UsageException($"endpoint '{text}' is not an http(s) URL");
    }

    public static string ResolveToken(CliArguments parsed, CliContext context, string defaultRole)
    {
        if ((parsed.Single("token") ?? context.Env(TokenVariable))?.Trim() is { Length: > 0 } token)
        {
            return token;
        }

        var issuer = DevTokens.Load(DevTokens.KeyFile(null, context), DevTokens.Issuer(null, context), context.CurrentDirectory);
        return issuer.Mint(DefaultPrincipal, [defaultRole], DevTokens.Audience(null, context), context.Time.GetUtcNow(), MintedTokenLifetime);
    }

    /// <param name="path">Relative to the endpoint, e.g. <c>api/audit</c>.</param>
    public Task<KmsResponse> GetAsync(string path) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path));

    public Task<KmsResponse> PostJsonAsync(string path, string json) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public void Dispose() => _client.Dispose();

    private async Task<KmsResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            try
            {
                using var response = await _client.SendAsync(request);
                return new KmsResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException e)
            {
                throw new CliException($"cannot reach the KMS at {Endpoint}: {e.Message}");
            }
            catch (TaskCanceledException)
            {
                throw new CliException($"the KMS at {Endpoint} did not answer within {Timeout.TotalSeconds:0} s");
            }
        }
    }
}

/// <summary>An HTTP answer of the KMS: status and body text.</summary>
internal readonly record struct KmsResponse(int Status, string Body)
{
    public bool IsSuccess => Status is >= 200 and <= 299;

    /// <summary>"error 403 AccessDenied: ..." from a ProblemDetails body; just the status when the body is not one.</summary>
    public string DescribeProblem()
    {
        try
        {
            using var document = JsonDocument.Parse(Body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String)
            {
                return $"error {Status} {code.GetString()}: {detail.GetString()}";
            }
        }
        catch (JsonException)
        {
        }

        return $"error {Status}";
    }
}
