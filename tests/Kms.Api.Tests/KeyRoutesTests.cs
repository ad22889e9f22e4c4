using System.Net.Http.Json;
using System.Text.Json;

namespace Kms.Api.Tests;

[Collection(KmsHostCollection.Name)]
public sealed class KeyRoutesTests(KmsHostFixture host)
{
    [Fact]
    public async Task Health_ReportsHsmAndStorageOk()
    {
        using var response = await host.Client.GetAsync("/api/health");
        var json = await response.ReadJsonAsync();

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("healthy", json.GetProperty("status").GetString());
        Assert.Equal("ok", json.GetProperty("components").GetProperty("hsm").GetProperty("status").GetString());
        Assert.Equal("ok", json.GetProperty("components").GetProperty("storage").GetProperty("status").GetString());
    }

    [Fact]
    public async Task CreateKey_Returns201_AndDescribesByIdAndAlias()
    {
        var alias = "billing-" + Guid.NewGuid().ToString("N")[..8];

        using var response = await host.Client.PostAsJsonAsync("/api/keys",
            new { keySpec = "AES_256", alias, description = "billing data", tags = new { team = "payments" } });
        var created = await response.ReadJsonAsync();
        var keyId = created.GetProperty("keyId").GetString()!;
        var byAlias = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{alias}");

        Assert.Equal(201, (int)response.StatusCode);
        Assert.Equal("ENCRYPT_DECRYPT", created.GetProperty("keyUsage").GetString());
        Assert.Equal("ENABLED", created.GetProperty("state").GetString());
        Assert.Equal(keyId, byAlias.GetProperty("keyId").GetString());
        Assert.Equal("payments", byAlias.GetProperty("tags").GetProperty("team").GetString());
        Assert.Equal(alias, byAlias.GetProperty("aliases")[0].GetString());
    }

    [Fact]
    public async Task ListKeys_Paged_ReturnsEveryKeyOnce()
    {
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await host.CreateKeyAsync("HMAC_SHA256"));
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var url = "/api/keys?pageSize=2" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token));
            var page = await host.Client.GetFromJsonAsync<JsonElement>(url);
            var keys = page.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("keyId").GetString()!).ToList();
            Assert.True(keys.Count <= 2);
            seen.AddRange(keys);
            token = page.TryGetProperty("continuationToken", out var t) ? t.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Subset(seen.ToHashSet(), created.ToHashSet());
    }

    [Fact]
    public async Task ListVersions_AfterRotations_ShowsPrimary()
    {
        var keyId = await host.CreateKeyAsync("EC_P256");
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });

        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");

        Assert.Equal(3, versions.GetProperty("primaryVersion").GetInt32());
        var list = versions.GetProperty("versions").EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3], list.Select(v => v.GetProperty("version").GetInt32()));
        Assert.Equal([false, false, true], list.Select(v => v.GetProperty("primary").GetBoolean()));
    }

    [Fact]
    public async Task ConcurrentRotations_EveryLoserGets409_VersionsStayConsistent()
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => host.Client.PostAsJsonAsync($"/api/keys/{keyId}/rotate", new { })));
        var winners = responses.Count(r => r.IsSuccessStatusCode);
        foreach (var loser in responses.Where(r => !r.IsSuccessStatusCode))
        {
            await Problems.AssertProblemAsync(loser, 409, "ConcurrentModification");
        }

        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        var numbers = versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToArray();
        Assert.True(winners >= 1);
        Assert.Equal(Enumerable.Range(1, 1 + winners), numbers);
        Assert.Equal(1 + winners, versions.GetProperty("primaryVersion").GetInt32());
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task PutAlias_CreatesThenRepoints_DeleteRemoves()
    {
        var alias = "current-" + Guid.NewGuid().ToString("N")[..8];
        var first = await host.CreateKeyAsync("AES_256");
        var second = await host.CreateKeyAsync("AES_256");

        using var created = await host.Client.PutAsJsonAsync($"/api/aliases/{alias}", new { keyId = first });
        using var repointed = await host.Client.PutAsJsonAsync($"/api/aliases/{alias}", new { keyId = second });
        var encrypted = await host.PostOkAsync($"/api/keys/{alias}/encrypt", new { plaintext = "eA==" });
        using var deleted = await host.Client.DeleteAsync($"/api/aliases/{alias}");
        using var gone = await host.Client.PostAsJsonAsync($"/api/keys/{alias}/encrypt", new { plaintext = "eA==" });

        Assert.Equal(201, (int)created.StatusCode);
        Assert.Equal(200, (int)repointed.StatusCode);
        Assert.Equal(second, encrypted.GetProperty("keyId").GetString());
        Assert.Equal(204, (int)deleted.StatusCode);
        await Problems.AssertProblemAsync(gone, 404, "KeyNotFound");
    }

    [Fact]
    public async Task EveryResponse_CarriesRequestId_ThatServerLogsCarry()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/health");
        request.Headers.Add("x-request-id", "trace-me-123");

        using var response = await host.Client.SendAsync(request);
        using var generated = await host.Client.GetAsync("/api/keys/" + Guid.NewGuid());
        var generatedId = Assert.Single(generated.Headers.GetValues("x-request-id"));

        Assert.Equal("trace-me-123", Assert.Single(response.Headers.GetValues("x-request-id")));
        Assert.Contains(host.Logs, line => line.Contains("trace-me-123", StringComparison.Ordinal));
        Assert.Contains(host.Logs, line => line.Contains(generatedId, StringComparison.Ordinal) && line.Contains("KeyNotFound", StringComparison.Ordinal));
    }
}
