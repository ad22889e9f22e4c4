using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Api.Tests;

/// <summary>Key policies, simulation, role assignments, deletion and approvals over HTTP.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class AccessRoutesTests(KmsHostFixture host)
{
    [Fact]
    public async Task KeyPolicy_AllowStatement_GrantsWithoutRole_DenyStatementWinsOverRole()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await PutPolicyAsync(keyId, """
            {"version":"2026-11-30","statements":[
              {"sid":"AppMayEncrypt","effect":"Allow","principals":["svc-app"],"actions":["kms:Encrypt","kms:Decrypt"],
               "conditions":{"contextKeyEquals":{"tenant":"acme"}}},
              {"sid":"NoDecryptForMallory","effect":"Deny","principals":["mallory"],"actions":["kms:Decrypt"]}]}
            """);
        using var app = host.CreateClient("svc-app");
        using var mallory = host.CreateClient("mallory", KmsRoles.Crypto);

        using var withContext = await app.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==", context = new { tenant = "acme" } });
        using var withoutContext = await app.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
        var ciphertext = (await withContext.ReadJsonAsync()).GetProperty("ciphertext").GetString();
        using var malloryEncrypts = await mallory.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
        using var malloryDecrypts = await mallory.PostAsJsonAsync("/api/decrypt", new { ciphertext, context = new { tenant = "acme" } });

        Assert.Equal(200, (int)withContext.StatusCode);
        var denied = await Problems.AssertProblemAsync(withoutContext, 403, KmsErrorCodes.AccessDenied);
        Assert.Contains("no role or key policy statement grants kms:Encrypt", denied.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, (int)malloryEncrypts.StatusCode);
        var deniedByStatement = await Problems.AssertProblemAsync(malloryDecrypts, 403, KmsErrorCodes.AccessDenied);
        Assert.Contains("NoDecryptForMallory", deniedByStatement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutPolicy_Invalid_InvalidPolicyWithPath_StoredPolicyUnchanged()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        const string valid = """{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"]}]}""";
        await PutPolicyAsync(keyId, valid);

        using var response = await host.Client.SendAsync(PutRaw($"/api/keys/{keyId}/policy",
            """{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrpyt"]}]}"""));
        var stored = await host.Client.GetStringAsync($"/api/keys/{keyId}/policy");

        var problem = await Problems.AssertProblemAsync(response, 400, KmsErrorCodes.InvalidPolicy);
        Assert.Contains("statements[0].actions[0]", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True(JsonNodeEquals(valid, stored));
    }

    [Fact]
    public async Task GetPolicy_None_PolicyNotFound()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.GetAsync($"/api/keys/{keyId}/policy");
        await Problems.AssertProblemAsync(response, 404, KmsErrorCodes.PolicyNotFound);
    }

    [Fact]
    public async Task Simulate_ExplainsRoleStatementAndDefault()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await PutPolicyAsync(keyId, """
            {"version":"2026-11-30","statements":[{"sid":"OfficeOnly","effect":"Deny","principals":["*"],"actions":["kms:Decrypt"],
              "conditions":{"sourceAddressInCidr":["203.0.113.0/24"]}}]}
            """);

        var byRole = await host.PostOkAsync("/api/policy/simulate", new { principal = "bob", roles = new[] { KmsRoles.Crypto }, action = "kms:Decrypt", keyId, callerAddress = "10.1.2.3" });
        var byDeny = await host.PostOkAsync("/api/policy/simulate", new { principal = "bob", roles = new[] { KmsRoles.Crypto }, action = "kms:Decrypt", keyId, callerAddress = "203.0.113.7" });
        var byDefault = await host.PostOkAsync("/api/policy/simulate", new { principal = "bob", action = "kms:Decrypt", keyId });

        Assert.True(byRole.GetProperty("allowed").GetBoolean());
        Assert.Equal("ROLE", byRole.GetProperty("source").GetString());
        Assert.False(byDeny.GetProperty("allowed").GetBoolean());
        Assert.Equal("DENY_STATEMENT", byDeny.GetProperty("source").GetString());
        Assert.Contains("OfficeOnly", byDeny.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("DEFAULT_DENY", byDefault.GetProperty("source").GetString());
    }

    [Fact]
    public async Task RoleAssignment_ScopedToKey_GrantsOnThatKeyOnly_DeleteRevokes()
    {
        var mine = await host.CreateKeyAsync("AES_256");
        var other = await host.CreateKeyAsync("AES_256");
        var principal = "scoped-" + Guid.NewGuid().ToString("N")[..8];
        var assignment = await host.PostOkAsync("/api/role-assignments", new { principal, role = KmsRoles.Crypto, scope = mine });
        using var client = host.CreateClient(principal);

        using var onMine = await client.PostAsJsonAsync($"/api/keys/{mine}/encrypt", new { plaintext = "eA==" });
        using var onOther = await client.PostAsJsonAsync($"/api/keys/{other}/encrypt", new { plaintext = "eA==" });
        var listed = await host.Client.GetFromJsonAsync<JsonElement>($"/api/role-assignments?principal={principal}");
        using var deleted = await host.Client.DeleteAsync($"/api/role-assignments/{assignment.GetProperty("id").GetString()}");
        using var afterDelete = await client.PostAsJsonAsync($"/api/keys/{mine}/encrypt", new { plaintext = "eA==" });

        Assert.Equal(200, (int)onMine.StatusCode);
        await Problems.AssertProblemAsync(onOther, 403, KmsErrorCodes.AccessDenied);
        Assert.Single(listed.GetProperty("assignments").EnumerateArray());
        Assert.Equal(204, (int)deleted.StatusCode);
        await Problems.AssertProblemAsync(afterDelete, 403, KmsErrorCodes.AccessDenied);
    }

    [Fact]
    public async Task CreateRoleAssignment_UnknownRole_ValidationFailed()
    {
        using var response = await host.Client.PostAsJsonAsync("/api/role-assignments", new { principal = "x", role = "kms.root" });
        await Problems.AssertProblemAsync(response, 400, KmsErrorCodes.ValidationFailed);
    }

    [Fact]
    public async Task Deletion_PendingKeyRefusesUse()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var scheduled = await host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 7 });
        using var refused = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });

        Assert.Equal("PENDING_DELETION", scheduled.GetProperty("state").GetString());
        await Problems.AssertProblemAsync(refused, 409, KmsErrorCodes.KeyPendingDeletion);
    }

    [Fact]
    public async Task DeletionProtection_RefusesScheduling_UntilCleared()
    {
        var key = await host.PostOkAsync("/api/keys", new { keySpec = "AES_256", deletionProtection = true });
        var keyId = key.GetProperty("keyId").GetString();

        using var refused = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/schedule-deletion", new { });
        using var cleared = await host.Client.PutAsJsonAsync($"/api/keys/{keyId}/deletion-protection", new { enabled = false });
        var scheduled = await host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { });

        Assert.True(key.GetProperty("deletionProtection").GetBoolean());
        await Problems.AssertProblemAsync(refused, 409, KmsErrorCodes.DeletionProtected);
        Assert.Equal(200, (int)cleared.StatusCode);
        Assert.Equal("PENDING_DELETION", scheduled.GetProperty("state").GetString());
    }

    private async Task PutPolicyAsync(string keyId, string json)
    {
        using var response = await host.Client.SendAsync(PutRaw($"/api/keys/{keyId}/policy", json));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage PutRaw(string path, string json) =>
        new(HttpMethod.Put, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static bool JsonNodeEquals(string a, string b) =>
        System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(a), System.Text.Json.Nodes.JsonNode.Parse(b));
}

/// <summary>Per-principal rate limits: a host with a tiny bucket answers 429 with Retry-After once it is empty.</summary>
public sealed class RateLimitTests : IAsyncLifetime
{
    private readonly KmsHostFixture _host = new(new Dictionary<string, string?>
    {
        ["Kms:Auth:RateLimit:PermitsPerSecond"] = "1",
        ["Kms:Auth:RateLimit:Burst"] = "3",
    });

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task CryptoRoute_OverTheBucket_429WithRetryAfter_OtherPrincipalUnaffected()
    {
        using var busy = _host.CreateClient("busy", KmsRoles.Crypto);
        using var quiet = _host.CreateClient("quiet", KmsRoles.Crypto);

        var statuses = new List<int>();
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 10; i++)
        {
            var response = await busy.PostAsJsonAsync("/api/random", new { bytes = 8 });
            statuses.Add((int)response.StatusCode);
            if ((int)response.StatusCode == 429 && throttled is null)
            {
                throttled = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using var other = await quiet.PostAsJsonAsync("/api/random", new { bytes = 8 });

        Assert.Contains(429, statuses);
        Assert.True(statuses.Count(s => s == 200) <= 4, string.Join(",", statuses));
        await Problems.AssertProblemAsync(throttled!, 429, KmsErrorCodes.Throttled);
        Assert.NotNull(throttled!.Headers.RetryAfter);
        Assert.Equal(200, (int)other.StatusCode);
        throttled.Dispose();
    }
}
