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
//   Kms.Bench http <baseUrl> <secondsPerRun> [hostPid]
//                                              encrypt/decrypt of 1 KiB over HTTP at concurrency 1 and 16; at 16 also a
//                                              1000-item batch encrypt, generate-data-key, EC_P256 and RSA_2048 sign, and
//                                              the peak RSS of the host process <hostPid> through those runs
//   Kms.Bench envelope <baseUrl> <secondsPerRun>  Kms.Client envelope encryption of 1 KiB with a cached data key, one thread,
//                                              beside raw .NET AesGcm
//   Kms.Bench k8s <baseUrl> <secondsPerRun>    Kubernetes KMS v2 plugin Encrypt/Decrypt over its unix socket at concurrency 1 and 16
//   Kms.Bench hsm <secondsPerRun>              through the PKCS#11 connector, in process: AES-GCM encrypt of 1 KiB (c=1),
//                                              RSA_2048 sign (c=16)
//   Kms.Bench rewrap <baseUrl> <items>         a rewrap job over a table of <items> ciphertexts, start to COMPLETED
//   Kms.Bench revoke <baseUrl> <hookPort> <n>  time to revoke: n revocations, each from the request to Kms.KeyVersionRevoked
//                                              arriving at a webhook on <hookPort> (subscribed by bench/run.sh)
//   Kms.Bench soak <baseUrl> <minutes> <rate> <hostPid>  mixed encrypt/decrypt at <rate> ops/s (0: half the measured peak),
//                                              per minute ops, errors, p50/p99 and the host's RSS, then a flatness verdict
//   Kms.Bench summary                          the targets of issue 10 against the figures recorded so far, met or MISSED
// HSM and storage settings come from the environment (Kms__Hsm__*, Kms__Storage__*), as for the hosts. With BENCH_FIGURES
// set to a file, every mode records its figures there (Scorecard) and prints the targets they meet or miss.
var mode = args.ElementAtOrDefault(0);
return mode switch
{
    "http" => await HttpBench(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : null),
    "k8s" => await K8sPluginBench.RunAsync(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))),
    "hsm" => await HsmBench(TimeSpan.FromSeconds(double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture))),
    "envelope" => await EnvelopeBench.RunAsync(new Uri(args[1]), TimeSpan.FromSeconds(double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture))),
    "summary" => Summary(),
    "rewrap" => await RewrapBench(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)),
    "revoke" => await RevocationBench.RunAsync(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture)),
    "soak" => await SoakBench.RunAsync(new Uri(args[1]), int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Summary()
{
    Console.WriteLine(Scorecard.Open().Summary());
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Kms.Bench http <baseUrl> <seconds> [hostPid] | envelope <baseUrl> <seconds> | k8s <baseUrl> <seconds> | hsm <seconds> | rewrap <baseUrl> <items> | revoke <baseUrl> <hookPort> <n> | soak <baseUrl> <minutes> <rate> <hostPid> | summary");
    return 2;
}

static async Task<int> HttpBench(Uri baseUrl, TimeSpan duration, int? hostPid)
{
    // BENCH_HTTP_ONLY (a comma list of encrypt, decrypt, batch, generate_data_key, sign_ec_p256, sign_rsa_2048) runs only
    // those operations' figures, warm-up included: to profile or compare one of them without the rest of the run.
    string[] operations = ["encrypt", "decrypt", "batch", "generate_data_key", "sign_ec_p256", "sign_rsa_2048"];
    var only = Environment.GetEnvironmentVariable("BENCH_HTTP_ONLY") is { Length: > 0 } list
        ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
        : null;
    if (only?.Except(operations, StringComparer.OrdinalIgnoreCase).ToList() is [_, ..] unknown)
    {
        Console.Error.WriteLine($"BENCH_HTTP_ONLY: unknown operation {string.Join(", ", unknown)}; known: {string.Join(", ", operations)}");
        return 2;
    }

    bool Selected(string operation) => only is null || only.Contains(operation);

    using var client = BenchApi.Client(baseUrl, KmsRoles.Admin, KmsRoles.Crypto);
    var scorecard = Scorecard.Open();
    var keyId = await BenchApi.CreateKeyAsync(client, "AES_256", "benchmark");
    // Binary fields as byte[], which System.Text.Json writes as plain base64, as Kms.Client sends them (a base64 string
    // would be sent with every '+' escaped as \u002B, which no SDK client does and the host would have to unescape).
    var plaintext = RandomNumberGenerator.GetBytes(1024);
    var context = new Dictionary<string, string> { ["bench"] = "1" };
    var sample = await (await client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext, context })).Content.ReadFromJsonAsync<JsonElement>();
    var ciphertext = sample.GetProperty("ciphertext").GetBytesFromBase64();
    var encrypt = BenchApi.Post(client, $"/api/keys/{keyId}/encrypt", new { plaintext, context });
    var decrypt = BenchApi.Post(client, "/api/decrypt", new { ciphertext, context });

    // A full batch: the issue asks for 1000 items per request; the API may be configured to take fewer.
    var batchSize = Math.Min(1000, (new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(KmsOptions.SectionName).Get<KmsOptions>() ?? new KmsOptions()).MaxBatchItems);
    var batch = BenchApi.Post(client, $"/api/keys/{keyId}/encrypt", new { items = Enumerable.Repeat(new { plaintext, context }, batchSize) });
    var digest = RandomNumberGenerator.GetBytes(32);
    var ecKey = await BenchApi.CreateKeyAsync(client, "EC_P256", "signing benchmark");
    var rsaKey = await BenchApi.CreateKeyAsync(client, "RSA_2048", "signing benchmark");
    var generateDataKey = BenchApi.Post(client, $"/api/keys/{keyId}/generate-data-key", new { keySpec = "AES_256", context });
    var signEc = BenchApi.Post(client, $"/api/keys/{ecKey}/sign", new { algorithm = "ECDSA_SHA_256", digest });
    var signRsa = BenchApi.Post(client, $"/api/keys/{rsaKey}/sign", new { algorithm = "RSASSA_PSS_SHA_256", digest });

    var cpu = CpuMeter.ForStack(hostPid);
    Console.WriteLine($"HTTP benchmark against {baseUrl} (1 KiB payloads, bearer token + authorization, {Load.Describe(duration)})");
    // A service runs for days; a host just started is still compiling its request path (the JIT's tiering thread took
    // a quarter of its CPU in the first minute of load, docs/performance.md). Every operation runs first so the figures
    // measure the service rather than its first minute; BENCH_HOST_WARMUP=0 measures from a cold start.
    var hostWarmUp = TimeSpan.FromSeconds(Load.EnvironmentNumber("BENCH_HOST_WARMUP", 3));
    if (hostWarmUp > TimeSpan.Zero)
    {
        Func<Task<bool>>[] everyOperation = [encrypt, decrypt, batch, generateDataKey, signEc, signRsa];
        foreach (var (name, once) in operations.Zip(everyOperation).Where(o => Selected(o.First)))
        {
            await Load.RunFor(hostWarmUp, 16, null, once);
        }

        Console.WriteLine(FormattableString.Invariant($"host warm-up: {hostWarmUp.TotalSeconds:F0} s of each operation at c=16 before the first figure"));
    }

    async Task<Measurement?> Run(string operation, string label, int concurrency, Func<Task<bool>> once, params (string Key, double Value)[] extra)
    {
        if (!Selected(operation))
        {
            return null;
        }

        var measured = await Load.MeasureAsync("http " + label, concurrency, duration, once, cpu);
        Console.WriteLine(measured + scorecard.Record([(BenchTargets.HttpOps(operation, concurrency), measured.OpsPerSecond),
            (BenchTargets.HttpP50(operation, concurrency), measured.P50), (BenchTargets.HttpP99(operation, concurrency), measured.P99), .. extra]));
        return measured;
    }

    await Run("encrypt", "encrypt 1 KiB", 1, encrypt);
    await Run("decrypt", "decrypt 1 KiB", 1, decrypt);
    // The host's resident memory is sampled through every c=16 run.
    var rss = new RssPeakSampler(hostPid);
    await Run("encrypt", "encrypt 1 KiB", 16, encrypt);
    await Run("decrypt", "decrypt 1 KiB", 16, decrypt);
    if (Selected("batch"))
    {
        var batched = await Load.MeasureAsync(FormattableString.Invariant($"http batch encrypt {batchSize}x1 KiB"), 16, duration, batch, cpu);
        Console.WriteLine(FormattableString.Invariant($"{batched}  items/s={batched.OpsPerSecond * batchSize:F0}")
            + (batchSize < 1000 ? FormattableString.Invariant($" (the API takes at most {batchSize} items)") : "")
            + scorecard.Record((BenchTargets.BatchEncryptItems, batched.OpsPerSecond * batchSize)));
        if (scorecard[BenchTargets.HsmAesGcmOps] is { } hsmAes)
        {
            Console.WriteLine(FormattableString.Invariant($"{"  batch / in-process HSM",-34} {batched.OpsPerSecond * batchSize / hsmAes:P0} of {hsmAes:F0} AES-GCM 1 KiB/s (bench hsm, c=1)"));
        }
    }

    await Run("generate_data_key", "generate-data-key AES_256", 16, generateDataKey);
    await Run("sign_ec_p256", "sign EC_P256 ECDSA_SHA_256", 16, signEc);
    var rsa = await Run("sign_rsa_2048", "sign RSA_2048 PSS_SHA_256", 16, signRsa);
    if (rsa is not null && scorecard[BenchTargets.HsmRsaSignOps] is { } hsmRsa)
    {
        Console.WriteLine(FormattableString.Invariant($"{"  RSA sign / in-process HSM",-34} {rsa.OpsPerSecond / hsmRsa:P0} of {hsmRsa:F0} signs/s (bench hsm, c=16)"));
    }

    await rss.DisposeAsync();
    Console.WriteLine(FormattableString.Invariant($"{"host RSS peak (c=16 runs)",-34} {rss.PeakMiB:F0} MiB (VmRSS of pid {hostPid?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}, sampled every 100 ms)")
        + scorecard.Record((BenchTargets.HostRssPeakMiB, rss.PeakMiB)));
    return 0;
}

static async Task<int> HsmBench(TimeSpan duration)
{
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
    var options = configuration.GetSection(Pkcs11HsmOptions.SectionName).Get<Pkcs11HsmOptions>() ?? new Pkcs11HsmOptions();
    using var hsm = new Pkcs11Hsm(Options.Create(options), NullLogger<Pkcs11Hsm>.Instance);
    var scorecard = Scorecard.Open();
    HsmKeyRef NewKey(KeySpec spec)
    {
        var material = hsm.GenerateKey(spec);
        return new HsmKeyRef("bench-" + spec, 1, spec, material.WrappedMaterial, material.RootKeyLabel);
    }

    var aesKey = NewKey(KeySpec.Aes256);
    var plaintext = RandomNumberGenerator.GetBytes(1024);
    var iv = new byte[12];
    var aad = new byte[24];
    var aes = await Load.MeasureAsync("in-process HSM AES-GCM 1 KiB", 1, duration, () => hsm.EncryptAesGcm(aesKey, iv, aad, plaintext).Length > 0);
    Console.WriteLine(aes + scorecard.Record((BenchTargets.HsmAesGcmOps, aes.OpsPerSecond)));

    // As the host signs: the digest through the same connector, at the HTTP run's concurrency.
    var rsaKey = NewKey(KeySpec.Rsa2048);
    var digest = RandomNumberGenerator.GetBytes(32);
    var rsa = await Load.MeasureAsync("in-process HSM RSA_2048 sign", 16, duration, () => hsm.SignDigest(rsaKey, SigningAlgorithm.RsassaPssSha256, digest).Length > 0);
    Console.WriteLine(rsa + scorecard.Record((BenchTargets.HsmRsaSignOps, rsa.OpsPerSecond)));
    return 0;
}

static async Task<int> RewrapBench(Uri baseUrl, int items)
{
    const int batch = 1000; // the API's batch limit
    const string column = "Secret";
    using var client = BenchApi.Client(baseUrl, KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator);
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
        $"{$"rewrap {items:N0} table items",-34} items/s={items / elapsed.TotalSeconds,10:F0}  total={elapsed.TotalSeconds,7:F1} s  done={progress.GetProperty("done")} skipped={progress.GetProperty("skipped")} failed={progress.GetProperty("failed")}")
        + Scorecard.Open().Record((BenchTargets.RewrapItems, items / elapsed.TotalSeconds)));
    await table.DeleteAsync();
    return 0;
}
