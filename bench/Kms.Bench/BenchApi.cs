using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Api.Security;

namespace Kms.Bench;

/// <summary>HTTP plumbing the load benchmarks share: an authenticated client, key creation and a prepared POST.</summary>
internal static class BenchApi
{
    /// <summary>
    /// A client with a real token of the development issuer (its key file from the environment, as the host reads it),
    /// pooled connections enough for concurrency 16 and more.
    /// </summary>
    public static HttpClient Client(Uri baseUrl, params string[] roles)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        var client = new HttpClient(handler, disposeHandler: true) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
        var issuer = DevTokenIssuer.Load(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!);
        var token = issuer.Mint("bench", roles, KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static async Task<string> CreateKeyAsync(HttpClient client, string keySpec, string description)
    {
        using var created = await client.PostAsJsonAsync("/api/keys", new { keySpec, description });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString()!;
    }

    /// <summary>One POST of <paramref name="body"/> (serialised once, here): true when it answered 2xx.</summary>
    public static Func<Task<bool>> Post(HttpClient client, string path, object body)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(body);
        return async () =>
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(path, content);
            await response.Content.LoadIntoBufferAsync();
            return response.IsSuccessStatusCode;
        };
    }
}
