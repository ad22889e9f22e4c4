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
    private const int Partitions = 100;
    private const int KillAfterDone = 2_000;
    private const string Column = "Secret";

    /// <summary>The KMS's batch limit for encrypt and decrypt.</summary>
    private const int BatchSize = 1_000;

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
                plaintexts[RowKey(i)] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            }

            var ciphertexts = await EncryptAsync(client, keyId, plaintexts);
            await SeedAsync(table, ciphertexts);
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
        var stored = new List<(string RowKey, string Ciphertext)>(Items);
        await foreach (var entity in table.QueryAsync<TableEntity>(maxPerPage: 1000))
        {
            stored.Add((entity.RowKey, entity.GetString(Column)));
        }

        Assert.Equal(Items, stored.Count);
        var wrong = new List<string>();
        foreach (var chunk in stored.Chunk(BatchSize))
        {
            var decrypted = await again.PostOkAsync("/api/decrypt", new { items = chunk.Select(s => new { ciphertext = s.Ciphertext }) });
            foreach (var (entity, result) in chunk.Zip(decrypted.GetProperty("items").EnumerateArray()))
            {
                var headerVersion = BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(entity.Ciphertext).AsSpan(18, 4));
                if (result.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    wrong.Add($"{entity.RowKey}: {error}");
                }
                else if (result.GetProperty("plaintext").GetString() != plaintexts[entity.RowKey]
                    || result.GetProperty("version").GetInt32() != 2 || headerVersion != 2)
                {
                    wrong.Add($"{entity.RowKey}: version {result.GetProperty("version")} (header {headerVersion}), plaintext "
                        + (result.GetProperty("plaintext").GetString() == plaintexts[entity.RowKey] ? "kept" : "changed"));
                }
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Items} entities are wrong, e.g.{Environment.NewLine}{string.Join(Environment.NewLine, wrong.Take(10))}");

        // Nothing of the data ever reached the orchestration engine: no plaintext in its history or instance tables.
        var scanned = await ScanTaskHubForAsync($"{host.TablePrefix}hub", plaintexts.Values.ToHashSet(StringComparer.Ordinal), keyId);
        output.WriteLine($"scanned {scanned} task hub rows for the {Items:N0} plaintexts: none found");
    }

    /// <summary>Reads every row of the task hub's History and Instances tables; fails on any value that contains a plaintext.</summary>
    /// <param name="expected">A value the history must hold (the key id is in every input): proves the scan reads where inputs are kept.</param>
    private static async Task<int> ScanTaskHubForAsync(string hub, HashSet<string> plaintexts, string expected)
    {
        var sawExpected = false;
        var service = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString"));
        var width = plaintexts.First().Length;
        var rows = 0;
        foreach (var name in new[] { hub + "History", hub + "Instances" })
        {
            await foreach (var row in service.GetTableClient(name).QueryAsync<TableEntity>())
            {
                rows++;
                foreach (var (property, value) in row)
                {
                    var text = value switch
                    {
                        string str => str,
                        byte[] bytes => Convert.ToBase64String(bytes) + System.Text.Encoding.UTF8.GetString(bytes),
                        _ => null,
                    };
                    sawExpected |= text?.Contains(expected, StringComparison.Ordinal) == true;
                    for (var i = 0; text is not null && i + width <= text.Length; i++)
                    {
                        Assert.False(plaintexts.Contains(text.Substring(i, width)), $"A plaintext is in {name} row {row.PartitionKey}/{row.RowKey}, property {property}.");
                    }
                }
            }
        }

        Assert.True(rows > 0 && sawExpected, $"The task hub {hub} ({rows} rows) never mentions the key: the scan looked in the wrong place.");
        return rows;
    }

    private static string RowKey(int i) => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    private static long Progress(JsonElement operation, string field) =>
        operation.TryGetProperty("progress", out var progress) && progress.ValueKind == JsonValueKind.Object
            && progress.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetInt64()
            : 0;

    /// <summary>Encrypts every plaintext with the key's primary version, with no context, through the batch API.</summary>
    private static async Task<Dictionary<string, string>> EncryptAsync(HttpClient client, string keyId, Dictionary<string, string> plaintexts)
    {
        var ciphertexts = new Dictionary<string, string>(plaintexts.Count);
        foreach (var chunk in plaintexts.Chunk(BatchSize))
        {
            var encrypted = await client.PostOkAsync($"/api/keys/{keyId}/encrypt", new { items = chunk.Select(p => new { plaintext = p.Value }) });
            foreach (var (item, result) in chunk.Zip(encrypted.GetProperty("items").EnumerateArray()))
            {
                Assert.Equal(1, result.GetProperty("version").GetInt32());
                ciphertexts[item.Key] = result.GetProperty("ciphertext").GetString()!;
            }
        }

        return ciphertexts;
    }

    /// <summary>One entity per ciphertext, 100 partitions of 100 rows, written as one transaction per partition.</summary>
    private static async Task SeedAsync(TableClient table, Dictionary<string, string> ciphertexts)
    {
        await table.CreateIfNotExistsAsync();
        var partitions = ciphertexts.OrderBy(c => c.Key, StringComparer.Ordinal).Chunk(Items / Partitions).Select((rows, p) => rows.Select(row =>
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity($"p{p:D3}", row.Key) { [Column] = row.Value })).ToList());
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (actions, cancellationToken) => await table.SubmitTransactionAsync(actions, cancellationToken));
    }
}
