using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Core.Authorization;
using Kms.Testing;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>An emergency revocation outlives a kill -9 of the host in the middle of its rewrap, and ends destroyed after approvals.</summary>
public sealed class RevocationCrashTests(ITestOutputHelper output)
{
    private const int Items = 3_000;
    private static readonly TimeSpan ToKill = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ToFinish = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task RevocationSurvivesKill9()
    {
        await using var host = await LocalHostProcess.StartAsync();
        var table = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient(LocalStack.UniqueName("revoke"));
        var plaintexts = Enumerable.Range(0, Items).ToDictionary(CrashData.RowKey, _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        string keyId;
        string operationId;
        JsonElement atKill;
        using (var client = host.CreateClient())
        {
            keyId = await client.CreateKeyAsync("AES_256");
            await CrashData.SeedAsync(table, await CrashData.EncryptAsync(client, keyId, plaintexts));

            // Revoke the primary: the revocation replaces it, then rewraps the table off version 1.
            using var response = await client.PostAsJsonAsync($"/api/keys/{keyId}/revocations", new
            {
                versions = new[] { 1 },
                reason = "crash test",
                sources = new[] { new { type = "table", connection = "local", table = table.Name, column = CrashData.Column } },
            });
            var started = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST revocations -> {(int)response.StatusCode}: {started}");
            operationId = started.GetProperty("operationId").GetString()!;

            // Kill once the rewrap step has started its campaign.
            atKill = await client.PollOperationAsync(operationId, o => o.Field("step") is "rewrap" or "awaiting-approvals", ToKill, "the rewrap step",
                () => host.LogTail());
        }

        host.KillHard();
        var killedAt = Stopwatch.StartNew();
        output.WriteLine($"killed at step {atKill.Field("step")}, checkpoints {atKill.GetProperty("checkpoints")}");
        await host.StartAgainAsync();

        using var again = host.CreateClient();
        var waiting = await again.PollOperationAsync(operationId, o => o.Field("step") == "awaiting-approvals", ToFinish, "awaiting-approvals",
            () => host.LogTail());
        output.WriteLine($"reached awaiting-approvals {killedAt.Elapsed.TotalSeconds:F1} s after the kill: {waiting.GetProperty("checkpoints")}, " +
            $"time to revoke {waiting.GetProperty("timeToRevoke")}");
        Assert.Equal(2, waiting.GetProperty("version").GetInt32());
        await CrashData.AssertEveryItemOnVersionAsync(again, table, plaintexts, 2);

        foreach (var approver in new[] { "crash-approver-1", "crash-approver-2" })
        {
            using var client = host.CreateClient(approver, KmsRoles.Approver);
            using var approved = await client.PostAsync($"/api/operations/{operationId}/approvals", null);
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        var done = await again.PollOperationAsync(operationId, o => o.State() == "COMPLETED", ToFinish, "COMPLETED", () => host.LogTail());
        // This host publishes no events, so there is no "announced" step (EventDeliveryTests covers it).
        Assert.Equal(["revoked", "replacement-promoted", "rewrapped-1", "approved", "destroyed"],
            done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        var versions = await again.GetOkAsync($"/api/keys/{keyId}/versions");
        Assert.Equal(["DESTROYED", "ENABLED"], versions.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("state").GetString()));

        // The rewrapped data still opens after the old material is gone, and none of it reached the engine's tables.
        await CrashData.AssertEveryItemOnVersionAsync(again, table, plaintexts, 2);
        var scanned = await CrashData.ScanTaskHubForAsync($"{host.TablePrefix}hub", plaintexts.Values.ToHashSet(StringComparer.Ordinal), keyId);
        output.WriteLine($"scanned {scanned} task hub rows for the {Items:N0} plaintexts: none found");
    }
}
