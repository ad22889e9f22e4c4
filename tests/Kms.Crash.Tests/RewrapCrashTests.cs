using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Testing;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>A rewrap job over a table of ciphertexts outlives a kill -9 of the host in the middle of it.</summary>
public sealed class RewrapCrashTests(ITestOutputHelper output)
{
    private const int Items = 10_000;
    private const int KillAfterDone = 2_000;
    private const string Column = CrashData.Column;
    private const int BatchSize = CrashData.BatchSize;

    private static readonly TimeSpan RunningLongEnough = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ToKill = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan ToComplete = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task RewrapSurvivesKill9()
    {
        await using var host = await LocalHostProcess.StartAsync();
        var table = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient(LocalStack.UniqueName("rewrap"));
        string keyId;
        string operationId;
        JsonElement atKill;
        var job = new Stopwatch();
        var plaintexts = new Dictionary<string, string>(Items); // row key -> base64 plaintext
        using (var client = host.CreateClient())
        {
            // 10,000 ciphertexts under version 1, in a table of their own; then version 2 becomes primary.
            keyId = await client.CreateKeyAsync("AES_256");
            var seeding = Stopwatch.StartNew();
            for (var i = 0; i < Items; i++)
            {
                plaintexts[CrashData.RowKey(i)] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            }

            var ciphertexts = await CrashData.EncryptAsync(client, keyId, plaintexts);
            await CrashData.SeedAsync(table, ciphertexts);
            var rotated = await client.PostOkAsync($"/api/keys/{keyId}/rotate", null);
            Assert.Equal(2, rotated.GetProperty("primaryVersion").GetInt32());
            output.WriteLine($"seeded {Items:N0} entities in {seeding.Elapsed.TotalSeconds:F1} s");

            job.Start();
            using var response = await client.PostAsJsonAsync("/api/rewrap-jobs", new
            {
                keyId,
                fromVersions = new[] { 1 },
                source = new { type = "table", connection = "local", table = table.Name, column = Column, filter = (string?)null, contextColumn = (string?)null },
                disableOldVersions = false,
            });
            var started = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/rewrap-jobs -> {(int)response.StatusCode}: {started}");
            Assert.Equal("rewrap", started.GetProperty("type").GetString());
            operationId = started.GetProperty("operationId").GetString()!;

            // Kill in the middle: after a good part is done, or once it has run a while if progress comes in large steps.
            Stopwatch? running = null;
            atKill = await client.PollOperationAsync(operationId, o =>
            {
                if (o.State() == "RUNNING")
                {
                    running ??= Stopwatch.StartNew();
                }

                return o.State() == "COMPLETED" || Progress(o, "done") >= KillAfterDone || running?.Elapsed >= RunningLongEnough;
            }, ToKill, $"{KillAfterDone} items done", () => host.LogTail());
        }

        host.KillHard();
        output.WriteLine($"killed {job.Elapsed.TotalSeconds:F1} s into the job: state {atKill.State()}, done {Progress(atKill, "done")}, "
            + $"skipped {Progress(atKill, "skipped")}, failed {Progress(atKill, "failed")}");
        if (atKill.State() == "COMPLETED")
        {
            output.WriteLine("note: the job had finished before the kill, so this run did not exercise a resume");
        }

        await host.StartAgainAsync();
        using var again = host.CreateClient();
        var done = await again.PollOperationAsync(operationId, o => o.State() == "COMPLETED", ToComplete, "COMPLETED", () => host.LogTail());
        job.Stop();
        output.WriteLine($"rewrap of {Items:N0} items took {job.Elapsed.TotalSeconds:F1} s including the kill and restart: "
            + $"{Items / job.Elapsed.TotalSeconds:F0} items/s");
        output.WriteLine($"operation reports done {Progress(done, "done")}, skipped {Progress(done, "skipped")}, failed {Progress(done, "failed")}, "
            + $"total {Progress(done, "total")}; progress {(done.TryGetProperty("progress", out var p) ? p.ToString() : "absent")}");

        // Every entity still opens to its own plaintext, now under version 2.
        await CrashData.AssertEveryItemOnVersionAsync(again, table, plaintexts, 2);

        // Nothing of the data ever reached the orchestration engine: no plaintext in its history or instance tables.
        var scanned = await CrashData.ScanTaskHubForAsync($"{host.TablePrefix}hub", plaintexts.Values.ToHashSet(StringComparer.Ordinal), keyId);
        output.WriteLine($"scanned {scanned} task hub rows for the {Items:N0} plaintexts: none found");
    }

    private static long Progress(JsonElement operation, string field) =>
        operation.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object
            && progress.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetInt64()
            : 0;
}
