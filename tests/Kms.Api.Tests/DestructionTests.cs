using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Api.Tests;

/// <summary>
/// Scheduled deletion as a durable operation (waiting period, approvals, destruction) and revocation requests that must be
/// refused, on the real local stack. The host allows a waiting period of 0 days so a deletion can be driven to its end;
/// the revocation's full path, with its webhook, is in <see cref="EventDeliveryTests"/>.
/// </summary>
[Collection(KmsHostCollection.Name)]
public sealed class DestructionTests(KmsHostFixture host)
{
    [Fact]
    public async Task ScheduledDeletion_AfterTheWaitingPeriod_WaitsForTwoApprovals_ThenDestroysTheKey()
    {
        var keyId = await host.CreateKeyAsync("AES_256", alias: $"doomed-{Guid.NewGuid():N}");
        var ciphertext = (await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0" })).GetProperty("ciphertext").GetString();
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });

        var key = await host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 0 });
        Assert.Equal("PENDING_DELETION", key.GetProperty("state").GetString());
        var operationId = await DeletionOperationAsync(keyId);

        // Approvals given by anyone but the one who scheduled it; the deletion waits for two.
        var waiting = await host.WaitForStepAsync(operationId, "awaiting-approvals");
        Assert.Equal(new[] { "waiting-period-over" }, Checkpoints(waiting));
        Assert.Equal(KmsHostFixture.AdminPrincipal, waiting.GetProperty("approvals").GetProperty("requestedBy").GetString());
        using var requester = host.CreateClient(KmsHostFixture.AdminPrincipal, KmsRoles.Approver);
        using (var own = await requester.PostAsync($"/api/operations/{operationId}/approvals", null))
        {
            await Problems.AssertProblemAsync(own, 409, KmsErrorCodes.ApprovalNotAllowed);
        }

        using var stranger = host.CreateClient($"crypto-{Guid.NewGuid():N}", KmsRoles.Crypto);
        using (var denied = await stranger.PostAsync($"/api/operations/{operationId}/approvals", null))
        {
            await Problems.AssertProblemAsync(denied, 403, KmsErrorCodes.AccessDenied);
        }

        foreach (var approver in new[] { "deletion-approver-1", "deletion-approver-2" })
        {
            using var client = host.CreateClient(approver, KmsRoles.Approver);
            using var approved = await client.PostAsJsonAsync($"/api/operations/{operationId}/approvals", new { comment = "ticket SEC-1" });
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        var done = await host.WaitForOperationAsync(operationId, "COMPLETED");
        Assert.Equal(new[] { "waiting-period-over", "approved", "destroyed" }, Checkpoints(done));
        var received = done.GetProperty("approvals").GetProperty("received").EnumerateArray().Select(a => a.GetProperty("principal").GetString()).ToArray();
        Assert.Equal(new[] { "deletion-approver-1", "deletion-approver-2" }, received.Order().ToArray());

        var destroyed = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}");
        Assert.Equal("DESTROYED", destroyed.GetProperty("state").GetString());
        Assert.True(!destroyed.TryGetProperty("aliases", out var aliases) || aliases.GetArrayLength() == 0, $"aliases left: {destroyed}");
        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        Assert.All(versions.GetProperty("versions").EnumerateArray(), v => Assert.Equal("DESTROYED", v.GetProperty("state").GetString()));
        using (var decrypt = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext }))
        {
            await Problems.AssertProblemAsync(decrypt, 409, KmsErrorCodes.KeyDestroyed);
        }

        using (var enable = await host.Client.PostAsync($"/api/keys/{keyId}/enable", null))
        {
            await Problems.AssertProblemAsync(enable, 409, KmsErrorCodes.KeyDestroyed);
        }
    }

    [Fact]
    public async Task CancelDeletion_StopsTheWaitingOperation_AndTheKeyIsDisabledNotDestroyed()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 7 });
        var operationId = await DeletionOperationAsync(keyId);
        var waiting = await host.WaitForStepAsync(operationId, "waiting-period");
        Assert.Equal("pending", waiting.GetProperty("approvals").GetProperty("state").GetString());

        // An approval during the waiting period is counted at once.
        using (var approver = host.CreateClient("early-approver", KmsRoles.Approver))
        using (var approved = await approver.PostAsync($"/api/operations/{operationId}/approvals", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        await WaitUntilAsync(async () => (await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}"))
            .GetProperty("approvals").GetProperty("received").GetArrayLength() == 1);

        // The generic cancel does not apply to a deletion: the key's own cancel does.
        using (var cancel = await host.Client.PostAsync($"/api/operations/{operationId}/cancel", null))
        {
            await Problems.AssertProblemAsync(cancel, 409, KmsErrorCodes.OperationConflict);
        }

        var key = await host.PostOkAsync($"/api/keys/{keyId}/cancel-deletion", new { });
        Assert.Equal("DISABLED", key.GetProperty("state").GetString());
        await host.WaitForOperationAsync(operationId, "CANCELED");
        await host.PostOkAsync($"/api/keys/{keyId}/enable", new { });
        await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0" });
    }

    [Fact]
    public async Task RevokingThePrimaryWithoutSources_ReplacesIt_AndOldDataOnTheRevokedVersionIsRefused()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var old = (await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "b2xk" })).GetProperty("ciphertext").GetString();

        var started = await host.PostOkAsync($"/api/keys/{keyId}/revocations", new { versions = new[] { 1 }, reason = "drill" });
        var operationId = started.GetProperty("operationId").GetString()!;
        using (var encrypt = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "bmV3" }))
        {
            // Until the replacement is promoted the key cannot encrypt (its primary is revoked), or it already uses version 2.
            if (encrypt.IsSuccessStatusCode)
            {
                Assert.Equal(2, (await encrypt.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
            }
            else
            {
                await Problems.AssertProblemAsync(encrypt, 409, KmsErrorCodes.KeyVersionRevoked);
            }
        }

        var waiting = await host.WaitForStepAsync(operationId, "awaiting-approvals");
        Assert.Equal(2, waiting.GetProperty("version").GetInt32());
        var fresh = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "bmV3" });
        Assert.Equal(2, fresh.GetProperty("version").GetInt32());
        using (var decrypt = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = old }))
        {
            await Problems.AssertProblemAsync(decrypt, 409, KmsErrorCodes.KeyVersionRevoked);
        }

        using (var enable = await host.Client.PostAsync($"/api/keys/{keyId}/versions/1/enable", null))
        {
            await Problems.AssertProblemAsync(enable, 409, KmsErrorCodes.KeyVersionRevoked);
        }

        await host.PostOkAsync($"/api/operations/{operationId}/cancel", new { });
    }

    [Fact]
    public async Task RevokingAnOlderVersion_StillPromotesAFreshReplacement_AndLeavesTheOthersAlone()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });

        var started = await host.PostOkAsync($"/api/keys/{keyId}/revocations", new { versions = new[] { 1 }, reason = "old backup leaked" });
        var operationId = started.GetProperty("operationId").GetString()!;
        var waiting = await host.WaitForStepAsync(operationId, "awaiting-approvals");

        Assert.Equal(3, waiting.GetProperty("version").GetInt32());
        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        Assert.Equal(3, versions.GetProperty("primaryVersion").GetInt32());
        Assert.Equal(new[] { "REVOKED", "ENABLED", "ENABLED" },
            versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("state").GetString()!).ToArray());
        await host.PostOkAsync($"/api/operations/{operationId}/cancel", new { });
    }

    [Theory]
    [InlineData("""{"reason":"x"}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[1]}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[],"reason":"x"}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[9],"reason":"x"}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[1,1],"reason":"x"}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[1],"reason":"   "}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":[1],"reason":"x","sources":[{"type":"table","connection":"nope","table":"t","column":"c"}]}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"versions":"1","reason":"x"}""", KmsErrorCodes.MalformedRequest)]
    public async Task BadRevocationRequests_Are400_AndRevokeNothing(string body, string code)
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsync($"/api/keys/{keyId}/revocations",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        await Problems.AssertProblemAsync(response, 400, code);
        await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0" });
    }

    private async Task<string> DeletionOperationAsync(string keyId)
    {
        JsonElement list = default;
        await WaitUntilAsync(async () =>
        {
            list = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations?type=deletion&keyId={keyId}");
            return list.GetProperty("operations").GetArrayLength() == 1;
        });
        var operationId = list.GetProperty("operations")[0].GetProperty("operationId").GetString()!;
        Assert.StartsWith($"deletion-{keyId}-", operationId, StringComparison.Ordinal);
        return operationId;
    }

    private static string[] Checkpoints(JsonElement operation) =>
        operation.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()!).ToArray();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 60 s.");
            await Task.Delay(200);
        }
    }
}
