using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.KubernetesPlugin;
using Kms.KubernetesPlugin.V2;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Kms.Bench;

/// <summary>
/// The Kubernetes KMS v2 plugin as the API server uses it: gRPC Encrypt/Decrypt of 32-byte DEK seeds over the plugin's
/// unix socket, the plugin calling the KMS over HTTP. The plugin runs in this process (its own Kestrel on the socket),
/// so the figures include the gRPC hop and the KMS round trip, as on a control-plane node.
/// </summary>
internal static class K8sPluginBench
{
    public static async Task<int> RunAsync(Uri baseUrl, TimeSpan duration)
    {
        var keyFile = Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!;
        var keyId = await CreateKeyAsync(baseUrl, keyFile);
        var dir = Directory.CreateTempSubdirectory("kms-k8s-bench");
        var socket = Path.Combine(dir.FullName, "plugin.sock");
        try
        {
            await using var plugin = KubernetesPluginApp.Build([], builder =>
            {
                builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["KubernetesPlugin:SocketPath"] = socket,
                    ["KubernetesPlugin:KeyId"] = keyId,
                    ["KubernetesPlugin:KmsEndpoint"] = baseUrl.ToString(),
                    ["KubernetesPlugin:DevCredential:KeyFile"] = keyFile,
                    ["KubernetesPlugin:DevCredential:Principal"] = "bench-k8s-plugin",
                    ["KubernetesPlugin:DevCredential:Roles:0"] = KmsRoles.Crypto,
                });
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
            });
            await plugin.StartAsync();

            using var channel = GrpcChannel.ForAddress("http://kms-plugin", new GrpcChannelOptions { HttpHandler = UnixSocketHttpHandler.Create(socket) });
            var client = new KeyManagementService.KeyManagementServiceClient(channel);
            var seed = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(32));
            var sample = await client.EncryptAsync(new EncryptRequest { Plaintext = seed, Uid = "bench" });
            var status = await client.StatusAsync(new StatusRequest());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Kubernetes KMS v2 plugin over a unix socket (32-byte DEK seeds, healthz {status.Healthz}, key_id {status.KeyId}, {Load.Describe(duration)})"));

            foreach (var concurrency in new[] { 1, 16 })
            {
                await Run("k8s plugin Encrypt", concurrency, duration, async () =>
                    (await client.EncryptAsync(new EncryptRequest { Plaintext = seed, Uid = "bench" })).Ciphertext.Length > 0);
                await Run("k8s plugin Decrypt", concurrency, duration, async () =>
                    (await client.DecryptAsync(new DecryptRequest { Ciphertext = sample.Ciphertext, Uid = "bench", KeyId = sample.KeyId })).Plaintext.Equals(seed));
            }

            await plugin.StopAsync();
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task Run(string name, int concurrency, TimeSpan duration, Func<Task<bool>> once)
    {
        async Task<bool> Safe()
        {
            try
            {
                return await once();
            }
            catch (Grpc.Core.RpcException)
            {
                return false;
            }
        }

        Console.WriteLine(await Load.MeasureAsync(name, concurrency, duration, Safe));
    }

    private static async Task<string> CreateKeyAsync(Uri baseUrl, string keyFile)
    {
        using var http = new HttpClient { BaseAddress = baseUrl };
        var token = DevTokenIssuer.Load(keyFile).Mint("bench", [KmsRoles.Admin], KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var created = await http.PostAsJsonAsync("/api/keys", new { keySpec = "AES_256", description = "kubernetes plugin benchmark" });
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString()!;
    }
}
