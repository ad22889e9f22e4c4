using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>
/// Storage stops under load and comes back: Kms.LocalHost (a separate process) runs over an Azurite of its own, which
/// the test stops while workers encrypt, decrypt, create and rotate keys, then starts again on the same ports and data.
/// </summary>
public sealed class StorageOutageTests(ITestOutputHelper output)
{
    private const int Workers = 6;

    // Generous bounds for a loaded machine; they only turn a hang into a failure, nothing is timed.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(45);

    private static readonly string[] OutageCodes = [KmsErrorCodes.StorageUnavailable, KmsErrorCodes.AuditUnavailable, KmsErrorCodes.WorkflowsUnavailable];

    // What must never reach a caller: PKCS#11 return codes, .NET exception names or stack frames, storage internals.
    private static readonly string[] Leaks = ["CKR_", "Exception", "   at ", "RequestFailed", "Azure.", "127.0.0.1", "AccountKey", "devstoreaccount1"];

    private enum Op
    {
        Encrypt,
        Decrypt,
        CreateKey,
        RotateKey,
        ListOperations,
    }

    [Fact]
    public async Task AzuriteStoppedDuringLoad_Answers503WithStableCodes_RecoversByItself_LosesNoAuditRecordAndHalfWritesNoKey()
    {
        await using var azurite = await AzuriteProcess.StartAsync();
        await using var host = await LocalHostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Kms__Storage__ConnectionString"] = azurite.ConnectionString,
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Kms__Rewrap__Connections__local"] = azurite.ConnectionString,
        });
        using var client = host.CreateClient(LocalHostProcess.Principal, KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator, KmsRoles.Auditor);
        client.Timeout = ClientTimeout;
        var load = new Load(client);

        // Arrange: a key per worker (only that worker rotates it, so no rotation ever races another) and ciphertexts made
        // before the outage.
        for (var w = 0; w < Workers; w++)
        {
            load.OwnKeys[w].Add(await load.CreateSetupKeyAsync());
        }

        var before = new List<Sealed>();
        foreach (var own in load.OwnKeys)
        {
            for (var i = 0; i < 5; i++)
            {
                before.Add(await load.SealAsync(own[0]));
            }
        }

        // Act: load, then the outage, then storage back.
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => load.RunWorkerAsync(w, stop.Token))).ToArray();
        var clock = Stopwatch.StartNew();
        await WaitForAsync(() => load.Calls.Count(c => c.Success) >= 60, "60 successful calls before the outage", load, host);

        azurite.Stop();
        load.Phase = Phase.Outage;
        var stoppedAt = clock.Elapsed;
        await WaitForAsync(() => Enum.GetValues<Op>().All(op => load.Calls.Count(c => c.Op == op && c.Sent == Phase.Outage && c.Status == 503) >= 2),
            "two 503 answers of every operation during the outage", load, host);
        var health = await client.GetAsync("/api/health");
        var healthBody = await health.Content.ReadAsStringAsync();

        await azurite.StartAgainAsync();
        load.Phase = Phase.Recovered;
        var restartedAt = clock.Elapsed;
        // The same host process: it must find storage again by itself.
        await WaitForAsync(() => Enum.GetValues<Op>().All(op => load.Calls.Count(c => c.Op == op && c.Sent == Phase.Recovered && c.Success) >= 3),
            "three successes of every operation after Azurite came back", load, host);
        var recoveredAt = clock.Elapsed;
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        output.WriteLine($"stopped Azurite at {stoppedAt.TotalSeconds:F1} s, started it again at {restartedAt.TotalSeconds:F1} s, " +
            $"every operation succeeded again by {recoveredAt.TotalSeconds:F1} s");
        foreach (var group in load.Calls.GroupBy(c => (c.Sent, c.Op, c.Status, c.Code)).OrderBy(g => g.Key))
        {
            output.WriteLine($"{group.Key.Sent,-9} {group.Key.Op,-14} {group.Key.Status} {group.Key.Code ?? ""}: {group.Count()} " +
                $"(slowest answer {group.Max(c => c.Took).TotalSeconds:F1} s)");
        }

        // Assert: during the outage, only successes and 503s with a stable code and a plain message; no 500, no hang.
        Assert.True(load.Violations.IsEmpty,
            $"{load.Violations.Count} answers were neither a success nor a clean 503, e.g.{Environment.NewLine}" +
            string.Join(Environment.NewLine, load.Violations.Take(10)) + $"{Environment.NewLine}host log:{Environment.NewLine}{host.LogTail()}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("\"unhealthy\"", healthBody, StringComparison.Ordinal);
        Assert.DoesNotContain(Leaks, leak => healthBody.Contains(leak, StringComparison.Ordinal));
        using (var healthAfter = await client.GetAsync("/api/health"))
        {
            Assert.Equal(HttpStatusCode.OK, healthAfter.StatusCode);
        }

        // Every audit chain is intact, and every answer the client saw succeed has exactly one record, with its status.
        var verify = await client.PostOkAsync("/api/audit/verify", null);
        Assert.True(verify.GetProperty("valid").GetBoolean(), $"audit verification failed: {verify}");
        var audited = await ReadAuditAsync(client);
        var unaudited = load.Calls.Where(c => c.Success && !(audited.TryGetValue(c.RequestId, out var records) && records.Contains(c.Status))).ToList();
        Assert.True(unaudited.Count == 0, $"{unaudited.Count} successful answers have no audit record with their status, e.g. " +
            string.Join(", ", unaudited.Take(10).Select(c => $"{c.Op} {c.Sent} {c.RequestId}")));
        var twice = audited.Where(a => a.Value.Count > 1).Select(a => a.Key).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} requests were audited more than once, e.g. {string.Join(", ", twice.Take(10))}");

        // The workflow engine is back too: a staged rotation (new version, canary, promote) runs to the end.
        var staged = load.OwnKeys[0][0];
        using (var started = await client.PostAsync($"/api/keys/{staged}/rotations", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var operationId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString()!;
            await client.PollOperationAsync(operationId, o => o.State() == "COMPLETED", Patience, "COMPLETED", () => host.LogTail());
            output.WriteLine($"a staged rotation started after the outage completed at {clock.Elapsed.TotalSeconds:F1} s");
        }

        // Every key is whole: versions 1..n, exactly one primary (the newest), each encrypts and decrypts. A create or a
        // rotation that answered 503 either did nothing or finished completely.
        var keys = await ListKeysAsync(client);
        var creates = load.Calls.Where(c => c.Op == Op.CreateKey).ToDictionary(c => c.RequestId);
        foreach (var created in creates.Values.Where(c => c.Success))
        {
            Assert.Contains(created.KeyId, keys.Keys);
        }

        var notCreatedByUs = keys.Values.Where(k => k.GetProperty("description").GetString() is not { } id || !creates.ContainsKey(id) && !load.SetupKeys.Contains(k.GetProperty("keyId").GetString()!)).ToList();
        Assert.True(notCreatedByUs.Count == 0, $"keys nobody asked for: {string.Join(", ", notCreatedByUs)}");
        // A create whose audit record could not be stored answers 503 AuditUnavailable although the key was stored
        // (the record is written after the handler ran): such a key must be whole like any other.
        var keptBy503 = keys.Values.Select(k => creates.GetValueOrDefault(k.GetProperty("description").GetString()!)).Where(c => c is { Success: false }).ToList();
        output.WriteLine($"{keys.Count} keys: {creates.Values.Count(c => c.Success)} created with 201, {keptBy503.Count} by creates that answered 503 " +
            $"({string.Join(", ", keptBy503.Select(c => c!.Code))})");
        foreach (var (keyId, key) in keys)
        {
            var rotations = load.Calls.Where(c => c.Op == Op.RotateKey && c.KeyId == keyId).ToList();
            var versions = await client.GetOkAsync($"/api/keys/{keyId}/versions");
            var numbers = versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).Order().ToList();
            var primaries = versions.GetProperty("versions").EnumerateArray().Where(v => v.GetProperty("primary").GetBoolean())
                .Select(v => v.GetProperty("version").GetInt32()).ToList();
            Assert.Equal(Enumerable.Range(1, numbers.Count), numbers);
            Assert.Equal([numbers.Count], primaries);
            Assert.Equal(numbers.Count, versions.GetProperty("primaryVersion").GetInt32());
            Assert.Equal(numbers.Count, key.GetProperty("latestVersion").GetInt32());
            Assert.All(versions.GetProperty("versions").EnumerateArray(), v => Assert.Equal("ENABLED", v.GetProperty("state").GetString()));
            var stagedVersions = keyId == staged ? 1 : 0;
            Assert.InRange(numbers.Count, 1 + stagedVersions + rotations.Count(r => r.Success),
                1 + stagedVersions + rotations.Count(r => r.Success || r.Status == 503));

            var fresh = await load.SealAsync(keyId);
            Assert.Equal(numbers.Count, fresh.Version);
            await load.AssertOpensAsync([fresh]);
        }

        // Ciphertexts made before, during and after the outage all open.
        await load.AssertOpensAsync(before);
        await load.AssertOpensAsync(load.Sealed.ToList());
        var versionsUsed = load.Sealed.Select(s => (s.KeyId, s.Version)).Distinct().Count();
        output.WriteLine($"{before.Count + load.Sealed.Count} ciphertexts on {versionsUsed} key versions open; {audited.Count} requests audited; " +
            $"verify: {verify}");
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, Load load, LocalHostProcess host)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            if (elapsed.Elapsed > Patience)
            {
                var seen = string.Join(", ", load.Calls.GroupBy(c => $"{c.Sent} {c.Op} {c.Status}").Select(g => $"{g.Key}: {g.Count()}"));
                Assert.Fail($"No {what} within {Patience.TotalSeconds} s. Answers so far: {seen}{Environment.NewLine}" +
                    $"violations: {string.Join(Environment.NewLine, load.Violations.Take(5))}{Environment.NewLine}host log:{Environment.NewLine}{host.LogTail()}");
            }

            if (load.Violations.Count > 20)
            {
                Assert.Fail($"Waiting for {what}: {load.Violations.Count} bad answers, e.g.{Environment.NewLine}" +
                    string.Join(Environment.NewLine, load.Violations.Take(10)) + $"{Environment.NewLine}host log:{Environment.NewLine}{host.LogTail()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Every audit record, as the statuses recorded per request id.</summary>
    private static async Task<Dictionary<string, List<int>>> ReadAuditAsync(HttpClient client)
    {
        var audited = new Dictionary<string, List<int>>();
        string? continuation = null;
        do
        {
            var page = await client.GetOkAsync("/api/audit?pageSize=1000" + (continuation is null ? "" : "&continuationToken=" + Uri.EscapeDataString(continuation)));
            foreach (var record in page.GetProperty("records").EnumerateArray())
            {
                var requestId = record.GetProperty("requestId").GetString()!;
                if (!audited.TryGetValue(requestId, out var statuses))
                {
                    audited[requestId] = statuses = [];
                }

                statuses.Add(record.GetProperty("status").GetInt32());
            }

            continuation = page.TryGetProperty("continuationToken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        while (continuation is not null);
        return audited;
    }

    private static async Task<Dictionary<string, JsonElement>> ListKeysAsync(HttpClient client)
    {
        var keys = new Dictionary<string, JsonElement>();
        string? continuation = null;
        do
        {
            var page = await client.GetOkAsync("/api/keys?pageSize=1000" + (continuation is null ? "" : "&continuationToken=" + Uri.EscapeDataString(continuation)));
            foreach (var key in page.GetProperty("keys").EnumerateArray())
            {
                keys[key.GetProperty("keyId").GetString()!] = key;
            }

            continuation = page.TryGetProperty("continuationToken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        while (continuation is not null);
        return keys;
    }

    private enum Phase
    {
        Before,
        Outage,
        Recovered,
    }

    /// <param name="Sent">The phase the request was sent in; under load an answer can come in a later one.</param>
    private sealed record Call(string RequestId, Op Op, string? KeyId, Phase Sent, int Status, string? Code, TimeSpan Took)
    {
        public bool Success => Status is >= 200 and < 300;
    }

    private sealed record Sealed(string KeyId, int Version, string Ciphertext, string Plaintext);

    /// <summary>The workers' calls and what they saw.</summary>
    private sealed class Load(HttpClient client)
    {
        private readonly List<Sealed> _sealed = [];
        private volatile Phase _phase;

        /// <summary>Where the test is; each call records the phase it was sent in.</summary>
        public Phase Phase
        {
            get => _phase;
            set => _phase = value;
        }

        public ConcurrentQueue<Call> Calls { get; } = new();

        public ConcurrentQueue<string> Violations { get; } = new();

        /// <summary>Per worker, the keys only that worker encrypts with and rotates (its setup key and those it created).</summary>
        public List<string>[] OwnKeys { get; } = Enumerable.Range(0, Workers).Select(_ => new List<string>()).ToArray();

        public ConcurrentBag<string> SetupKeys { get; } = [];

        public IReadOnlyList<Sealed> Sealed
        {
            get
            {
                lock (_sealed)
                {
                    return _sealed.ToList();
                }
            }
        }

        public async Task<string> CreateSetupKeyAsync()
        {
            var keyId = (await client.PostOkAsync("/api/keys", new { keySpec = "AES_256", description = "setup" })).GetProperty("keyId").GetString()!;
            SetupKeys.Add(keyId);
            return keyId;
        }

        public async Task<Sealed> SealAsync(string keyId)
        {
            var plaintext = NewPlaintext();
            var encrypted = await client.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext });
            return new Sealed(keyId, encrypted.GetProperty("version").GetInt32(), encrypted.GetProperty("ciphertext").GetString()!, plaintext);
        }

        public async Task AssertOpensAsync(IReadOnlyList<Sealed> sealedItems)
        {
            foreach (var chunk in sealedItems.Chunk(CrashData.BatchSize))
            {
                var decrypted = await client.PostOkAsync("/api/decrypt", new { items = chunk.Select(s => new { ciphertext = s.Ciphertext }) });
                foreach (var (item, result) in chunk.Zip(decrypted.GetProperty("items").EnumerateArray()))
                {
                    Assert.True(result.TryGetProperty("plaintext", out var plaintext) && plaintext.GetString() == item.Plaintext
                        && result.GetProperty("version").GetInt32() == item.Version,
                        $"a ciphertext of key {item.KeyId} version {item.Version} no longer opens: {result}");
                }
            }
        }

        public async Task RunWorkerAsync(int worker, CancellationToken stop)
        {
            var own = OwnKeys[worker];
            while (!stop.IsCancellationRequested)
            {
                var roll = Random.Shared.Next(100);
                var op = roll switch
                {
                    < 30 => Op.Encrypt,
                    < 55 => Op.Decrypt,
                    < 70 => Op.CreateKey,
                    < 85 => Op.RotateKey,
                    _ => Op.ListOperations,
                };
                Sealed? opened = null;
                if (op == Op.Decrypt)
                {
                    lock (_sealed)
                    {
                        opened = _sealed.Count == 0 ? null : _sealed[Random.Shared.Next(_sealed.Count)];
                    }

                    op = opened is null ? Op.Encrypt : op;
                }

                var keyId = op is Op.Encrypt or Op.RotateKey ? own[Random.Shared.Next(own.Count)] : opened?.KeyId;
                var plaintext = NewPlaintext();
                var requestId = "outage-" + Guid.NewGuid().ToString("N");
                using var request = op switch
                {
                    Op.Encrypt => Post($"/api/keys/{keyId}/encrypt", new { plaintext }),
                    Op.Decrypt => Post("/api/decrypt", new { ciphertext = opened!.Ciphertext }),
                    // The description names the request, so a key made by a create that answered 503 can be told apart.
                    Op.CreateKey => Post("/api/keys", new { keySpec = "AES_256", description = requestId }),
                    Op.RotateKey => new HttpRequestMessage(HttpMethod.Post, $"/api/keys/{keyId}/rotate"),
                    _ => new HttpRequestMessage(HttpMethod.Get, "/api/operations?pageSize=10"),
                };
                request.Headers.Add("x-request-id", requestId);
                var sent = Phase;
                var described = $"{op} ({sent}, request {requestId})";
                var took = Stopwatch.StartNew();
                try
                {
                    using var response = await client.SendAsync(request, CancellationToken.None);
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    var status = (int)response.StatusCode;
                    string? code = null;
                    if (response.IsSuccessStatusCode)
                    {
                        var answer = JsonDocument.Parse(body).RootElement;
                        switch (op)
                        {
                            case Op.Encrypt:
                                lock (_sealed)
                                {
                                    _sealed.Add(new Sealed(keyId!, answer.GetProperty("version").GetInt32(), answer.GetProperty("ciphertext").GetString()!, plaintext));
                                }

                                break;
                            case Op.Decrypt when answer.GetProperty("plaintext").GetString() != opened!.Plaintext:
                                Violations.Enqueue($"{described}: 200 with another plaintext");
                                break;
                            case Op.CreateKey:
                                keyId = answer.GetProperty("keyId").GetString()!;
                                own.Add(keyId);
                                break;
                        }
                    }
                    else
                    {
                        code = CheckOutageProblem(response, body, described);
                    }

                    Calls.Enqueue(new Call(requestId, op, keyId, sent, status, code, took.Elapsed));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                {
                    Violations.Enqueue($"{described}: no answer within {ClientTimeout.TotalSeconds} s or a broken one: {e.GetType().Name} {e.Message}");
                    Calls.Enqueue(new Call(requestId, op, keyId, sent, 0, null, took.Elapsed));
                }
            }
        }

        /// <summary>A failure must be 503 ProblemDetails with an outage code and a plain message; returns its code.</summary>
        private string? CheckOutageProblem(HttpResponseMessage response, string body, string described)
        {
            string? code = null;
            string? detail = null;
            try
            {
                var problem = JsonDocument.Parse(body).RootElement;
                code = problem.TryGetProperty("code", out var c) ? c.GetString() : null;
                detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
            catch (JsonException)
            {
            }

            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || response.Content.Headers.ContentType?.MediaType != "application/problem+json"
                || !OutageCodes.Contains(code) || string.IsNullOrWhiteSpace(detail) || Leaks.Any(l => body.Contains(l, StringComparison.Ordinal)))
            {
                Violations.Enqueue($"{described}: {(int)response.StatusCode} {body}");
            }

            return code;
        }

        private static HttpRequestMessage Post(string path, object body) => new(HttpMethod.Post, path) { Content = JsonContent.Create(body) };

        private static string NewPlaintext() => Convert.ToBase64String(Guid.NewGuid().ToByteArray());
    }
}
