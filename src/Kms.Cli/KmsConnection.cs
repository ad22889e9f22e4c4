using System.Net.Http.Headers;

namespace Kms.Cli;

/// <summary>
/// Where the CLI sends requests and with which token: <c>--endpoint</c>/<c>$KMS_ENDPOINT</c> (default the
/// local host) and <c>--token</c>/<c>$KMS_TOKEN</c>, else a short-lived token of the local dev issuer for
/// the command's default role, so the commands work against <c>infra/local/up.sh</c> out of the box.
/// </summary>
internal static class KmsConnection
{
    public const string DefaultEndpoint = "http://127.0.0.1:7071";

    public static HttpClient Create(CliArguments parsed, HttpMessageHandler handler, TimeProvider time, string currentDirectory, string defaultRole)
    {
        var endpoint = parsed.Single("endpoint") ?? Environment.GetEnvironmentVariable("KMS_ENDPOINT") ?? DefaultEndpoint;
        var token = parsed.Single("token") ?? Environment.GetEnvironmentVariable("KMS_TOKEN")
            ?? DevTokens.Load(DevTokens.KeyFile(null, currentDirectory), DevTokens.Issuer(null))
                .Mint("kms-cli", [defaultRole], DevTokens.Audience(null), time.GetUtcNow(), TimeSpan.FromMinutes(5));
        var client = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri(endpoint), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
