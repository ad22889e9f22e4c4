using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
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
//   Kms.Bench k8s <baseUrl> <secondsPerRun>    Kubernetes KMS v2 plugin Encrypt/Decrypt over its unix socket at concurrency 1 and 16
//   Kms.Bench hsm <secondsPerRun>              AES-GCM encrypt of 1 KiB through the PKCS#11 connector, in process
//   Kms.Bench rewrap <baseUrl> <items>         a rewrap job over a table of <items> ciphertexts, start to COMPLETED
//   Kms.Bench revoke <baseUrl> <hookPort> <n>  time to revoke: n revocations, each from the request to Kms.KeyVersionRevoked
//                                              arriving at a webhook on <hookPort> (subscribed by bench/run.sh)
//   Kms.Bench soak <baseUrl> <minutes> <rate> <hostPid>  mixed encrypt/decrypt at <rate> ops/s (0: half the measured peak),
//                                              per minute ops, errors, p50/p99 and the host's RSS, then a flatness verdict
// HSM and storage settings come from the environment (Kms__Hsm__*, Kms__Storage__*), as for the hosts.
var mode = args.ElementAtOrDefault(0);
return mode switch
{
    "http" => await HttpBench(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))),
    "k8s" => await K8sPluginBench.RunAsync(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)), RunFor),
    "hsm" => HsmBench(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))),
    "rewrap" => await RewrapBench(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    "revoke" => await RevocationBench.RunAsync(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
    "soak" => await SoakBench.RunAsync(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Kms.Bench http <baseUrl> <seconds> | k8s <baseUrl> <seconds> | hsm <seconds> | rewrap <baseUrl> <items> | revoke <baseUrl> <hookPort> <n> | soak <baseUrl> <minutes> <rate> <hostPid>");
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

static async Task<int> RewrapBench(Uri baseUrl, int items)
{
    const int batch = 1000; // the API's batch limit
    const string column = "Secret";
    using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
    var issuer = DevTokenIssuer.Load(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!);
    var token = issuer.Mint("bench", [KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator], KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1));
    client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
    async Task<JsonElement> Post(string path, object body, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.StatusCode == expected ? json : throw new InvalidOperationException($"POST {path} -> {(int)response.StatusCode}: {json}");
    }

    // Ciphertexts under version 1 (no context) in a table of their own, 100 rows per partition; then version 2 becomes primary.
    var keyId = (await Post("/api/keys", new { keySpec = "AES_256", description = "rewrap benchmark" }, System.Net.HttpStatusCode.Created)).GetProperty("keyId").GetString()!;
    var ciphertexts = new List<string>(items);
    for (var offset = 0; offset < items; offset += batch)
    {
        var plaintexts = Enumerable.Range(0, Math.Min(batch, items - offset)).Select(_ => new { plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        var encrypted = await Post($"/api/keys/{keyId}/encrypt", new { items = plaintexts });
        ciphertexts.AddRange(encrypted.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("ciphertext").GetString()!));
    }

    var table = new TableServiceClient(Environment.GetEnvironmentVariable("Kms__Storage__ConnectionString"))
        .GetTableClient("benchrewrap" + Guid.NewGuid().ToString("N")[..8]);
    await table.CreateIfNotExistsAsync();
    await Parallel.ForEachAsync(ciphertexts.Select((ciphertext, i) => (ciphertext, i)).Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = 4 },
        async (rows, cancellationToken) => await table.SubmitTransactionAsync(rows.Select(r => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity(FormattableString.Invariant($"p{r.i / 100:D5}"), FormattableString.Invariant($"{r.i:D7}")) { [column] = r.ciphertext })), cancellationToken));
    await Post($"/api/keys/{keyId}/rotate", new { });

    var stopwatch = Stopwatch.StartNew();
    var started = await Post("/api/rewrap-jobs", new
    {
        keyId,
        fromVersions = new[] { 1 },
        source = new { type = "table", connection = "local", table = table.Name, column, filter = (string?)null, contextColumn = (string?)null },
        disableOldVersions = false,
    }, System.Net.HttpStatusCode.Accepted);
    var operationId = started.GetProperty("operationId").GetString();
    JsonElement operation;
    while (true)
    {
        operation = await client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
        var state = operation.GetProperty("state").GetString();
        if (state == "COMPLETED")
        {
            break;
        }

        if (state is "FAILED" or "CANCELED" || stopwatch.Elapsed > TimeSpan.FromMinutes(10))
        {
            Console.Error.WriteLine($"rewrap job {operationId} did not complete: {operation}");
            return 1;
        }

        await Task.Delay(100);
    }

    var elapsed = stopwatch.Elapsed;
    var progress = operation.GetProperty("progress");
    Console.WriteLine(FormattableString.Invariant(
        $"{$"rewrap {items:N0} table items",-28} items/s={items / elapsed.TotalSeconds,10:F0}  total={elapsed.TotalSeconds,7:F1} s  done={progress.GetProperty("done")} skipped={progress.GetProperty("skipped")} failed={progress.GetProperty("failed")}"));
    await table.DeleteAsync();
    return 0;
}
