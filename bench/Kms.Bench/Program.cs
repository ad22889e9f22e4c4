using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Kms.Api.Security;
using Kms.Bench;
using Kms.Core.Authorization;
using Kms.Core;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

// Usage:
//   Kms.Bench http <baseUrl> <secondsPerRun>   encrypt/decrypt of 1 KiB over HTTP at concurrency 1 and 16
//   Kms.Bench hsm <secondsPerRun>              AES-GCM encrypt of 1 KiB through the PKCS#11 connector, in process
// HSM settings come from the environment (Kms__Hsm__*), as for the hosts.
var mode = args.ElementAtOrDefault(0);
return mode switch
{
    "http" => await HttpBench(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))),
    "hsm" => HsmBench(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Kms.Bench http <baseUrl> <seconds> | hsm <seconds>");
    return 2;
}

static async Task<int> HttpBench(Uri baseUrl, TimeSpan duration)
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
    using var client = new HttpClient(handler) { BaseAddress = baseUrl };
    // A real token of the development issuer (settings from the environment, as the host reads them).
    var issuer = DevTokenIssuer.Load(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!);
    var token = issuer.Mint("bench", [KmsRoles.Admin, KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
    client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    var created = await client.PostAsJsonAsync("/api/keys", new { keySpec = "AES_256", description = "benchmark" });
    created.EnsureSuccessStatusCode();
    var keyId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("keyId").GetString();
    var plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024));
    var context = new Dictionary<string, string> { ["bench"] = "1" };
    var sample = await (await client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext, context })).Content.ReadFromJsonAsync<JsonElement>();
    var ciphertext = sample.GetProperty("ciphertext").GetString();

    Console.WriteLine($"HTTP benchmark against {baseUrl} (1 KiB payloads, bearer token + authorization, {duration.TotalSeconds:F0} s per run after a 2 s warm-up)");
    foreach (var concurrency in new[] { 1, 16 })
    {
        await RunHttp(client, "encrypt 1 KiB", concurrency, duration, $"/api/keys/{keyId}/encrypt", new { plaintext, context });
        await RunHttp(client, "decrypt 1 KiB", concurrency, duration, "/api/decrypt", new { ciphertext, context });
    }

    return 0;
}

static async Task RunHttp(HttpClient client, string name, int concurrency, TimeSpan duration, string path, object body)
{
    var payload = JsonSerializer.SerializeToUtf8Bytes(body);
    async Task<bool> Once()
    {
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(path, content);
        await response.Content.LoadIntoBufferAsync();
        return response.IsSuccessStatusCode;
    }

    await RunFor(TimeSpan.FromSeconds(2), concurrency, null, Once);
    var recorder = new LatencyRecorder(concurrency);
    var (elapsed, errors) = await RunFor(duration, concurrency, recorder, Once);
    Console.WriteLine(recorder.Summarise("http " + name, concurrency, elapsed, errors));
}

static async Task<(TimeSpan Elapsed, int Errors)> RunFor(TimeSpan duration, int concurrency, LatencyRecorder? recorder, Func<Task<bool>> operation)
{
    var errors = 0;
    var stopwatch = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
    {
        while (stopwatch.Elapsed < duration)
        {
            var start = Stopwatch.GetTimestamp();
            if (!await operation())
            {
                Interlocked.Increment(ref errors);
            }

            recorder?.Record(worker, start);
        }
    }));
    await Task.WhenAll(workers);
    return (stopwatch.Elapsed, errors);
}

static int HsmBench(TimeSpan duration)
{
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
    var options = configuration.GetSection(Pkcs11HsmOptions.SectionName).Get<Pkcs11HsmOptions>() ?? new Pkcs11HsmOptions();
    using var hsm = new Pkcs11Hsm(Options.Create(options), NullLogger<Pkcs11Hsm>.Instance);
    var material = hsm.GenerateKey(KeySpec.Aes256);
    var key = new HsmKeyRef("bench", 1, KeySpec.Aes256, material.WrappedMaterial, material.RootKeyLabel);
    var plaintext = RandomNumberGenerator.GetBytes(1024);
    var iv = new byte[12];
    var aad = new byte[24];
    hsm.EncryptAesGcm(key, iv, aad, plaintext);

    var recorder = new LatencyRecorder(1);
    var stopwatch = Stopwatch.StartNew();
    while (stopwatch.Elapsed < duration)
    {
        var start = Stopwatch.GetTimestamp();
        hsm.EncryptAesGcm(key, iv, aad, plaintext);
        recorder.Record(0, start);
    }

    Console.WriteLine(recorder.Summarise("in-process HSM AES-GCM 1 KiB", 1, stopwatch.Elapsed, 0));
    return 0;
}
