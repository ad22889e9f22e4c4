using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Errors;

namespace Kms.Api.Tests;

/// <summary>Staged rotation through the orchestration engine, and the status API, on the real local stack.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class OperationsTests(KmsHostFixture host)
{
    [Fact]
    public async Task StartRotation_Answers202_ThenCompletes_WithTheNewVersionPrimary()
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        using var response = await host.Client.PostAsync($"/api/keys/{keyId}/rotations", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await response.Content.ReadFromJsonAsync<JsonElement>();
        var operationId = started.GetProperty("operationId").GetString()!;
        Assert.Equal($"/api/operations/{operationId}", response.Headers.Location?.OriginalString);
        Assert.Equal("rotation", started.GetProperty("type").GetString());

        var done = await host.WaitForOperationAsync(operationId, "COMPLETED");

        Assert.Equal(["version-created", "canary-passed", "promoted"], done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("done", done.GetProperty("step").GetString());
        Assert.Equal(2, done.GetProperty("version").GetInt32());
        var key = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}");
        Assert.Equal(2, key.GetProperty("primaryVersion").GetInt32());
        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "aGVsbG8=" });
        Assert.Equal(2, encrypted.GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task StartRotation_WithRewrap_PromotesThenStartsACampaign_ThatMovesTheStoredItems()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var items = new StoredCiphertexts(host);
        await items.SeedAsync(keyId, 120);

        var started = await host.PostOkAsync($"/api/keys/{keyId}/rotations", new { rewrap = new { sources = new[] { items.Source }, disableOldVersions = true } });
        var done = await host.WaitForOperationAsync(started.GetProperty("operationId").GetString()!, "COMPLETED");

        Assert.Equal(["version-created", "canary-passed", "promoted", "rewrap-started"], done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        Assert.True(done.TryGetProperty("completedAt", out _), done.ToString());
        var campaign = done.GetProperty("relatedOperations").EnumerateArray().Single().GetString()!;
        Assert.StartsWith($"rewrap-{keyId}-", campaign, StringComparison.Ordinal);
        await host.WaitForOperationAsync(campaign, "COMPLETED");
        await items.AssertAllOnVersionAsync(keyId, 2);
        Assert.Equal("DISABLED", await items.VersionStateAsync(keyId, 1));
    }

    [Fact]
    public async Task CanaryFailure_RollsBack_PreviousPrimaryKept_NewVersionDisabled_OperationFailed()
    {
        var keyId = await host.CreateKeyAsync("EC_P256");
        FaultInjectingProbe.FailFor(keyId);

        var operationId = (await host.PostOkAsync($"/api/keys/{keyId}/rotations", new { })).GetProperty("operationId").GetString()!;
        var failed = await host.WaitForOperationAsync(operationId, "FAILED");

        Assert.Contains("fault injected by the test", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(["version-created", "rolled-back"], failed.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        Assert.Equal(1, versions.GetProperty("primaryVersion").GetInt32());
        var v2 = versions.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == 2);
        Assert.Equal("DISABLED", v2.GetProperty("state").GetString());
    }

    [Fact]
    public async Task ListOperations_ByTypeAndKey_FindsTheRotation()
    {
        var keyId = await host.CreateKeyAsync("HMAC_SHA256");
        var operationId = (await host.PostOkAsync($"/api/keys/{keyId}/rotations", new { })).GetProperty("operationId").GetString()!;
        await host.WaitForOperationAsync(operationId, "COMPLETED");

        var list = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations?type=rotation&keyId={keyId}");
        var completed = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations?type=rotation&keyId={keyId}&state=COMPLETED");
        var running = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations?type=rotation&keyId={keyId}&state=RUNNING");

        Assert.Equal(operationId, list.GetProperty("operations").EnumerateArray().Single().GetProperty("operationId").GetString());
        Assert.Single(completed.GetProperty("operations").EnumerateArray());
        Assert.Empty(running.GetProperty("operations").EnumerateArray());
    }

    [Fact]
    public async Task ControllingAFinishedOperation_Is409_UnknownIs404_BadFiltersAre400()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var operationId = (await host.PostOkAsync($"/api/keys/{keyId}/rotations", new { })).GetProperty("operationId").GetString()!;
        await host.WaitForOperationAsync(operationId, "COMPLETED");

        foreach (var verb in new[] { "pause", "resume", "cancel" })
        {
            using var response = await host.Client.PostAsync($"/api/operations/{operationId}/{verb}", null);
            await Problems.AssertProblemAsync(response, 409, KmsErrorCodes.OperationConflict);
        }

        using (var unknown = await host.Client.GetAsync($"/api/operations/rotation-{Guid.NewGuid()}-x"))
        {
            await Problems.AssertProblemAsync(unknown, 404, KmsErrorCodes.OperationNotFound);
        }

        using (var foreign = await host.Client.GetAsync("/api/operations/not-one-of-ours"))
        {
            await Problems.AssertProblemAsync(foreign, 404, KmsErrorCodes.OperationNotFound);
        }

        using (var badState = await host.Client.GetAsync("/api/operations?state=SLEEPING"))
        {
            await Problems.AssertProblemAsync(badState, 400, KmsErrorCodes.ValidationFailed);
        }

        using (var badType = await host.Client.GetAsync("/api/operations?type=teleport"))
        {
            await Problems.AssertProblemAsync(badType, 400, KmsErrorCodes.ValidationFailed);
        }
    }

    [Fact]
    public async Task StartRotation_KeyPendingDeletion_Is409_AndUnknownKeyIs404()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 7 });

        using var pending = await host.Client.PostAsync($"/api/keys/{keyId}/rotations", null);
        await Problems.AssertProblemAsync(pending, 409, KmsErrorCodes.KeyPendingDeletion);
        using var unknown = await host.Client.PostAsync($"/api/keys/{Guid.NewGuid()}/rotations", null);
        await Problems.AssertProblemAsync(unknown, 404, KmsErrorCodes.KeyNotFound);
    }

    [Fact]
    public async Task RotationPolicy_WhenDue_TheSchedulerRotatesOnce_AndTheNextRotationMovesAPeriodOn()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using (var put = await host.Client.PutAsJsonAsync($"/api/keys/{keyId}/rotation-policy", new { rotationPeriodDays = 30 }))
        {
            var key = await put.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(put.IsSuccessStatusCode, key.ToString());
            Assert.Equal(30, key.GetProperty("rotationPeriodDays").GetInt32());
            Assert.InRange(key.GetProperty("nextRotationAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
        }

        // Make it due now: move the stored due time into the past, as a month passing would.
        var due = DateTimeOffset.UtcNow.AddMinutes(-1);
        var keys = new Azure.Data.Tables.TableClient(Kms.Testing.LocalStack.Require("Kms:Storage:ConnectionString"), host.TablePrefix + "keys");
        await keys.UpdateEntityAsync(new Azure.Data.Tables.TableEntity(keyId, "key") { ["NextRotationAt"] = due }, Azure.ETag.All,
            Azure.Data.Tables.TableUpdateMode.Merge);
        var operationId = Kms.Workflows.Operations.KeyScheduler.OperationId(keyId, due);

        var deadline = DateTime.UtcNow.AddSeconds(120);
        JsonElement operation = default;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await host.Client.GetAsync($"/api/operations/{operationId}");
            if (response.IsSuccessStatusCode)
            {
                operation = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (operation.GetProperty("state").GetString() == "COMPLETED")
                {
                    break;
                }
            }

            await Task.Delay(250);
        }

        Assert.Equal("COMPLETED", operation.GetProperty("state").GetString());
        var rotated = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}");
        Assert.Equal(2, rotated.GetProperty("primaryVersion").GetInt32());
        Assert.InRange(rotated.GetProperty("nextRotationAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
        // Later scans (every second here) find nothing due: one rotation, not one per scan.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var all = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations?type=rotation&keyId={keyId}");
        Assert.Single(all.GetProperty("operations").EnumerateArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3651)]
    public async Task RotationPolicy_OutOfRange_Is400(int days)
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        using var response = await host.Client.PutAsJsonAsync($"/api/keys/{keyId}/rotation-policy", new { rotationPeriodDays = days });

        await Problems.AssertProblemAsync(response, 400, KmsErrorCodes.ValidationFailed);
    }
}
