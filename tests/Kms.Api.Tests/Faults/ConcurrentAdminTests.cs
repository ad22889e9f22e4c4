using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Services;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests.Faults;

/// <summary>
/// 100 admin requests on one key at once, over HTTP against a host of its own: rotations (immediate and staged), enable and
/// disable of the key and of a version, alias create / re-point / delete, policy puts, rotation policy, deletion
/// protection, deletion scheduled and cancelled; and encrypts in between. Every answer is a success or a clean refusal,
/// and afterwards the key is consistent: contiguous versions, one primary, one version per rotation, a final state that
/// some successful request set, one audit record per request, a verifiable audit log and every ciphertext decrypting.
/// </summary>
public sealed class ConcurrentAdminTests(KmsHostFixture host) : IClassFixture<KmsHostFixture>
{
    private const int AdminRequests = 100;

    private sealed record Sent(string Kind, string RequestId, object? Value, HttpStatusCode Status, string? Code, JsonElement Body)
    {
        public bool Succeeded => (int)Status is >= 200 and < 300;
    }

    [Fact]
    public async Task HundredConcurrentAdminOperations_OneKey_ConsistentStateAndVerifiableAudit()
    {
        var principal = "concurrent-admin-" + Guid.NewGuid().ToString("N")[..8];
        using var admin = host.CreateClient(principal, KmsRoles.Admin, KmsRoles.Operator);
        using var crypto = host.CreateClient(principal + "-crypto", KmsRoles.Crypto);
        var keyId = await host.CreateKeyAsync("AES_256");
        var otherKey = await host.CreateKeyAsync("AES_256");
        var alias = "concurrent-" + Guid.NewGuid().ToString("N")[..12];
        var before = await EncryptAsync(crypto, keyId, "YmVmb3Jl");
        Assert.NotNull(before);

        // The mix, shuffled with a fixed seed so a failure can be replayed.
        var requests = new List<Func<Task<Sent>>>();
        void Add(int count, Func<int, Func<Task<Sent>>> make)
        {
            for (var i = 0; i < count; i++)
            {
                requests.Add(make(i));
            }
        }

        Add(20, _ => () => SendAsync(admin, "rotate", HttpMethod.Post, $"/api/keys/{keyId}/rotate", null, null));
        Add(3, _ => () => SendAsync(admin, "staged-rotation", HttpMethod.Post, $"/api/keys/{keyId}/rotations", new { }, null));
        Add(9, _ => () => SendAsync(admin, "enable", HttpMethod.Post, $"/api/keys/{keyId}/enable", null, "ENABLED"));
        Add(9, _ => () => SendAsync(admin, "disable", HttpMethod.Post, $"/api/keys/{keyId}/disable", null, "DISABLED"));
        Add(3, _ => () => SendAsync(admin, "disable-version", HttpMethod.Post, $"/api/keys/{keyId}/versions/1/disable", null, null));
        Add(3, _ => () => SendAsync(admin, "enable-version", HttpMethod.Post, $"/api/keys/{keyId}/versions/1/enable", null, null));
        Add(12, i => () => SendAsync(admin, "put-alias", HttpMethod.Put, $"/api/aliases/{alias}", new { keyId = i % 2 == 0 ? keyId : otherKey }, i % 2 == 0 ? keyId : otherKey));
        Add(5, _ => () => SendAsync(admin, "delete-alias", HttpMethod.Delete, $"/api/aliases/{alias}", null, null));
        Add(12, i => () => SendAsync(admin, "put-policy", HttpMethod.Put, $"/api/keys/{keyId}/policy", Policy(i), $"reader-{i}"));
        Add(8, i => () => SendAsync(admin, "rotation-policy", HttpMethod.Put, $"/api/keys/{keyId}/rotation-policy", new { rotationPeriodDays = 30 + i }, 30 + i));
        Add(4, i => () => SendAsync(admin, "deletion-protection", HttpMethod.Put, $"/api/keys/{keyId}/deletion-protection", new { enabled = i % 2 == 0 }, i % 2 == 0));
        Add(6, _ => () => SendAsync(admin, "schedule-deletion", HttpMethod.Post, $"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 7 }, "PENDING_DELETION"));
        Add(6, _ => () => SendAsync(admin, "cancel-deletion", HttpMethod.Post, $"/api/keys/{keyId}/cancel-deletion", null, "DISABLED"));
        Assert.Equal(AdminRequests, requests.Count);
        var encrypts = Enumerable.Range(0, 20).Select(i => (Func<Task<Sent>>)(() => SendAsync(crypto, "encrypt", HttpMethod.Post,
            $"/api/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String(Encoding.UTF8.GetBytes($"during-{i}")) }, $"during-{i}")));
        var shuffled = requests.Concat(encrypts).OrderBy(_ => Random.Shared.Next()).ToArray();

        using var start = new SemaphoreSlim(0);
        var running = shuffled.Select(async send =>
        {
            await start.WaitAsync();
            return await send();
        }).ToArray();
        start.Release(shuffled.Length);
        var sent = await Task.WhenAll(running);

        // 1. Every answer a success, a clean refusal (problem document with a stable code) or 503; never a 500.
        foreach (var answer in sent)
        {
            Assert.True(answer.Succeeded || (int)answer.Status is >= 400 and < 500 or 503, $"{answer.Kind} -> {(int)answer.Status}: {answer.Body}");
            if (!answer.Succeeded)
            {
                Assert.False(string.IsNullOrEmpty(answer.Code), $"{answer.Kind} -> {(int)answer.Status} without a code: {answer.Body}");
            }
        }

        var admins = sent.Where(s => s.Kind != "encrypt").ToArray();
        // No rotation may succeed at all: rotation never retries a lost race (409 ConcurrentModification) and a pending
        // deletion refuses it; the version count below holds either way.

        // Staged rotations that started run to their end; each made at most one version.
        var stagedVersions = 0;
        foreach (var staged in admins.Where(s => s.Kind == "staged-rotation" && s.Succeeded))
        {
            var operation = await WaitForEndAsync(staged.Body.GetProperty("operationId").GetString()!);
            if (operation.TryGetProperty("version", out var made) && made.ValueKind == JsonValueKind.Number)
            {
                stagedVersions++;
            }
        }

        // 2. Versions contiguous from 1, exactly one primary, one per rotation that answered success.
        var listed = await admin.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        var versions = listed.GetProperty("versions").EnumerateArray().ToArray();
        Assert.Equal(Enumerable.Range(1, versions.Length), versions.Select(v => v.GetProperty("version").GetInt32()));
        var primary = Assert.Single(versions, v => v.GetProperty("primary").GetBoolean());
        Assert.Equal(listed.GetProperty("primaryVersion").GetInt32(), primary.GetProperty("version").GetInt32());
        var rotations = admins.Count(s => s.Kind == "rotate" && s.Succeeded);
        Assert.Equal(1 + rotations + stagedVersions, versions.Length);
        // No two rotations were answered with the same new version.
        Assert.Equal(rotations, admins.Where(s => s.Kind == "rotate" && s.Succeeded).Select(s => s.Body.GetProperty("version").GetInt32()).Distinct().Count());

        // 3. The final key state, alias, policy, rotation period and protection are each one a successful request set.
        var key = await admin.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}");
        AssertSetBySuccess<string?>(admins, ["enable", "disable", "schedule-deletion", "cancel-deletion"], "ENABLED", key.GetProperty("state").GetString());
        AssertSetBySuccess<int?>(admins, ["rotation-policy"], null, key.TryGetProperty("rotationPeriodDays", out var days) && days.ValueKind == JsonValueKind.Number ? days.GetInt32() : null);
        AssertSetBySuccess(admins, ["deletion-protection"], false, key.GetProperty("deletionProtection").GetBoolean());
        using var aliasAnswer = await admin.GetAsync($"/api/keys/{alias}");
        var aliasTarget = aliasAnswer.IsSuccessStatusCode ? (await aliasAnswer.ReadJsonAsync()).GetProperty("keyId").GetString() : null;
        if (aliasTarget is null)
        {
            Assert.Contains(admins, s => s.Kind == "delete-alias" && s.Succeeded);
        }
        else
        {
            AssertSetBySuccess<string?>(admins, ["put-alias"], null, aliasTarget);
        }

        using var policyAnswer = await admin.GetAsync($"/api/keys/{keyId}/policy");
        if (policyAnswer.IsSuccessStatusCode)
        {
            var reader = (await policyAnswer.ReadJsonAsync()).GetProperty("statements")[0].GetProperty("principals")[0].GetString();
            AssertSetBySuccess<string?>(admins, ["put-policy"], null, reader);
        }
        else
        {
            Assert.DoesNotContain(admins, s => s.Kind == "put-policy" && s.Succeeded);
        }

        // 4. One audit record per request, with the status it answered; the log verifies.
        using var auditor = host.CreateClient(principal + "-auditor", KmsRoles.Auditor);
        var records = new List<JsonElement>();
        foreach (var who in new[] { principal, principal + "-crypto" })
        {
            records.AddRange(await AuditPages.ReadAllAsync(auditor, $"principal={who}&pageSize=1000"));
        }

        foreach (var answer in sent.Where(s => s.Status != HttpStatusCode.ServiceUnavailable))
        {
            var record = Assert.Single(records, r => r.GetProperty("requestId").GetString() == answer.RequestId);
            Assert.Equal((int)answer.Status, record.GetProperty("status").GetInt32());
        }

        using var verify = await auditor.PostAsJsonAsync("/api/audit/verify", new { });
        var verified = await verify.ReadJsonAsync();
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.GetRawText());

        // 5. Every version still works and every ciphertext made before or during the storm decrypts.
        await RestoreUsableAsync(admin, keyId, versions.Length);
        var probe = host.Services!.GetRequiredService<KeyRotationSteps>();
        for (var version = 1; version <= versions.Length; version++)
        {
            var result = await probe.ProbeAsync(keyId, version, CancellationToken.None);
            Assert.True(result.Passed, $"version {version}: {result.Reason}");
        }

        Assert.Equal("YmVmb3Jl", await DecryptAsync(crypto, before!));
        foreach (var during in sent.Where(s => s.Kind == "encrypt" && s.Succeeded))
        {
            Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes((string)during.Value!)), await DecryptAsync(crypto, during.Body.GetProperty("ciphertext").GetString()!));
        }

        var after = await EncryptAsync(crypto, keyId, "YWZ0ZXI=");
        Assert.Equal("YWZ0ZXI=", await DecryptAsync(crypto, after!));
    }

    private static object Policy(int i) => new
    {
        version = "2026-11-30",
        statements = new[] { new { sid = "Reader", effect = "Allow", principals = new[] { $"reader-{i}" }, actions = new[] { "kms:Encrypt" } } },
    };

    /// <summary>The final value is one a successful request of those kinds set, or the initial value when none succeeded.</summary>
    private static void AssertSetBySuccess<T>(IEnumerable<Sent> sent, string[] kinds, T initial, T actual)
    {
        var set = sent.Where(s => kinds.Contains(s.Kind) && s.Succeeded).Select(s => (T)s.Value!).ToList();
        if (set.Count == 0)
        {
            Assert.Equal(initial, actual);
        }
        else
        {
            Assert.Contains(actual, set);
        }
    }

    private static async Task<Sent> SendAsync(HttpClient client, string kind, HttpMethod method, string path, object? body, object? value)
    {
        var requestId = $"{kind}-{Guid.NewGuid():N}";
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("x-request-id", requestId);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var json = text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text);
        string? code = null;
        if (!response.IsSuccessStatusCode)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            code = json.TryGetProperty("code", out var c) ? c.GetString() : null;
        }

        return new Sent(kind, requestId, value, response.StatusCode, code, json);
    }

    private async Task<JsonElement> WaitForEndAsync(string operationId)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(180);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            if (last.GetProperty("state").GetString() is "COMPLETED" or "FAILED" or "CANCELED")
            {
                return last;
            }

            await Task.Delay(250);
        }

        Assert.Fail($"Operation {operationId} did not end in time; last seen: {last}");
        return last;
    }

    /// <summary>Undoes what the storm may have left (pending deletion, a disabled key or version) so every version can be used.</summary>
    private static async Task RestoreUsableAsync(HttpClient admin, string keyId, int versions)
    {
        var key = await admin.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}");
        if (key.GetProperty("state").GetString() == "PENDING_DELETION")
        {
            (await admin.PostAsync($"/api/keys/{keyId}/cancel-deletion", null)).EnsureSuccessStatusCode();
        }

        (await admin.PostAsync($"/api/keys/{keyId}/enable", null)).EnsureSuccessStatusCode();
        for (var version = 1; version <= versions; version++)
        {
            (await admin.PostAsync($"/api/keys/{keyId}/versions/{version}/enable", null)).EnsureSuccessStatusCode();
        }
    }

    private static async Task<string?> EncryptAsync(HttpClient crypto, string keyId, string plaintext)
    {
        using var response = await crypto.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext });
        response.EnsureSuccessStatusCode();
        return (await response.ReadJsonAsync()).GetProperty("ciphertext").GetString();
    }

    private static async Task<string?> DecryptAsync(HttpClient crypto, string ciphertext)
    {
        using var response = await crypto.PostAsJsonAsync("/api/decrypt", new { ciphertext });
        var body = await response.ReadJsonAsync();
        Assert.True(response.IsSuccessStatusCode, body.GetRawText());
        return body.GetProperty("plaintext").GetString();
    }
}
