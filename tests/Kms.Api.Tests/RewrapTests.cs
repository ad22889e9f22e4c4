using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Kms.Core.Errors;
using Kms.Testing;

namespace Kms.Api.Tests;

/// <summary>Rewrap campaigns over real Azurite tables and blobs, through the orchestration engine.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class RewrapTests(KmsHostFixture host)
{
    private static string Connection => LocalStack.Require("Kms:Storage:ConnectionString");

    [Fact]
    public async Task TableCampaign_MovesEveryItemOfTheKeyToThePrimary_SkipsOthers_ThenDisablesTheOldVersion()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var otherKey = await host.CreateKeyAsync("AES_256");
        var table = new TableServiceClient(Connection).GetTableClient(LocalStack.UniqueName("rw"));
        await table.CreateAsync();
        var plaintexts = new Dictionary<string, string>();
        var withContext = await EncryptManyAsync(keyId, 130, new Dictionary<string, string> { ["tenant"] = "t1" });
        var withoutContext = await EncryptManyAsync(keyId, 120, null);
        var foreign = await EncryptManyAsync(otherKey, 5, null);
        var rows = new List<TableEntity>();
        void Add(IEnumerable<(string Plaintext, string Ciphertext)> items, string? context)
        {
            foreach (var (plaintext, ciphertext) in items)
            {
                var rowKey = $"r{rows.Count:D4}";
                plaintexts[rowKey] = plaintext;
                var entity = new TableEntity($"p{rows.Count % 3}", rowKey) { ["Secret"] = ciphertext, ["Owner"] = "kept as it was" };
                if (context is not null)
                {
                    entity["Ctx"] = context;
                }

                rows.Add(entity);
            }
        }

        Add(withContext, """{"tenant":"t1"}""");
        Add(withoutContext, null);
        Add(foreign, null);
        rows.Add(new TableEntity("p0", "garbage") { ["Secret"] = Convert.ToBase64String("not a ciphertext"u8.ToArray()) });
        foreach (var entity in rows)
        {
            await table.AddEntityAsync(entity);
        }

        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });

        var started = await host.PostOkAsync("/api/rewrap-jobs", new
        {
            keyId,
            source = new { type = "table", connection = "local", table = table.Name, column = "Secret", contextColumn = "Ctx" },
            disableOldVersions = true,
        });
        var done = await host.WaitForOperationAsync(started.GetProperty("operationId").GetString()!, "COMPLETED");

        var progress = done.GetProperty("progress");
        Assert.Equal(250, progress.GetProperty("done").GetInt64());
        Assert.Equal(5, progress.GetProperty("skipped").GetInt64());
        Assert.Equal(1, progress.GetProperty("failed").GetInt64());
        Assert.Equal(256, progress.GetProperty("total").GetInt64());
        Assert.Contains("verified", done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        Assert.Contains("old-versions-disabled", done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));

        await foreach (var entity in table.QueryAsync<TableEntity>())
        {
            if (entity.RowKey == "garbage")
            {
                continue;
            }

            var context = entity.GetString("Ctx") is { } json ? JsonSerializer.Deserialize<Dictionary<string, string>>(json) : null;
            var opened = await host.PostOkAsync("/api/decrypt", new { ciphertext = entity.GetString("Secret"), context });
            Assert.Equal(plaintexts[entity.RowKey], opened.GetProperty("plaintext").GetString());
            Assert.Equal(opened.GetProperty("keyId").GetString() == keyId ? 2 : 1, opened.GetProperty("version").GetInt32());
            Assert.Equal(entity.RowKey.StartsWith('r') ? "kept as it was" : null, entity.GetString("Owner"));
        }

        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        Assert.Equal("DISABLED", versions.GetProperty("versions")[0].GetProperty("state").GetString());
        await table.DeleteAsync();
    }

    [Fact]
    public async Task BlobCampaign_BodyAndMetadata_AreRewrapped_AndARerunSkipsEverything()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var container = new BlobContainerClient(Connection, LocalStack.UniqueName("rw"));
        await container.CreateAsync();
        var items = await EncryptManyAsync(keyId, 12, null);
        for (var i = 0; i < items.Count; i++)
        {
            await container.GetBlobClient($"data/{i:D2}").UploadAsync(BinaryData.FromBytes(Convert.FromBase64String(items[i].Ciphertext)));
        }

        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var source = new { type = "blob", connection = "local", container = container.Name, prefix = "data/" };

        var first = await host.PostOkAsync("/api/rewrap-jobs", new { keyId, source });
        var done = await host.WaitForOperationAsync(first.GetProperty("operationId").GetString()!, "COMPLETED");
        var again = await host.PostOkAsync("/api/rewrap-jobs", new { keyId, source });
        var rerun = await host.WaitForOperationAsync(again.GetProperty("operationId").GetString()!, "COMPLETED");

        Assert.Equal(12, done.GetProperty("progress").GetProperty("done").GetInt64());
        Assert.Equal(0, rerun.GetProperty("progress").GetProperty("done").GetInt64());
        Assert.Equal(12, rerun.GetProperty("progress").GetProperty("skipped").GetInt64());
        for (var i = 0; i < items.Count; i++)
        {
            var body = (await container.GetBlobClient($"data/{i:D2}").DownloadContentAsync()).Value.Content.ToArray();
            var opened = await host.PostOkAsync("/api/decrypt", new { ciphertext = Convert.ToBase64String(body) });
            Assert.Equal(items[i].Plaintext, opened.GetProperty("plaintext").GetString());
            Assert.Equal(2, opened.GetProperty("version").GetInt32());
        }

        await container.DeleteAsync();
    }

    [Fact]
    public async Task PauseThenResume_StopsTheCampaignBetweenPages_AndItFinishesAfterwards()
    {
        // More than two activities' worth (RewrapPaging.Default: 4 pages of 1,000), so a pause lands between two of them.
        const int count = 9000;
        var keyId = await host.CreateKeyAsync("AES_256");
        var table = new TableServiceClient(Connection).GetTableClient(LocalStack.UniqueName("rwp"));
        await table.CreateAsync();
        for (var batch = 0; batch < count / 1000; batch++)
        {
            var items = await EncryptManyAsync(keyId, 1000, null);
            foreach (var chunk in items.Select((item, i) => new TableEntity($"p{batch}", $"r{i:D4}") { ["Secret"] = item.Ciphertext }).Chunk(100))
            {
                await table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)));
            }
        }

        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var operationId = (await host.PostOkAsync("/api/rewrap-jobs", new
        {
            keyId,
            source = new { type = "table", connection = "local", table = table.Name, column = "Secret" },
        })).GetProperty("operationId").GetString()!;

        // Pause once the first activity's pages are done.
        for (var started = DateTime.UtcNow; ; await Task.Delay(50))
        {
            var now = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            if (now.TryGetProperty("progress", out var p) && p.GetProperty("done").GetInt64() > 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(60), $"No progress: {now}");
        }

        await host.PostOkAsync($"/api/operations/{operationId}/pause", new { });
        var paused = await host.WaitForOperationAsync(operationId, "PAUSED");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stillPaused = await host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
        Assert.Equal("PAUSED", stillPaused.GetProperty("state").GetString());
        var doneWhilePaused = stillPaused.GetProperty("progress").GetProperty("done").GetInt64();
        Assert.True(doneWhilePaused < count, $"The campaign finished before it could be paused: {stillPaused}");
        using (var again = await host.Client.PostAsync($"/api/operations/{operationId}/pause", null))
        {
            await Problems.AssertProblemAsync(again, 409, KmsErrorCodes.OperationConflict);
        }

        await host.PostOkAsync($"/api/operations/{operationId}/resume", new { });
        var done = await host.WaitForOperationAsync(operationId, "COMPLETED");

        var progress = done.GetProperty("progress");
        Assert.Equal(count, progress.GetProperty("done").GetInt64() + progress.GetProperty("skipped").GetInt64());
        Assert.True(paused.GetProperty("progress").GetProperty("done").GetInt64() <= doneWhilePaused);
        await table.DeleteAsync();
    }

    [Theory]
    [InlineData("""{"source":{"type":"table","connection":"local","table":"t","column":"c"}}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"keyId":"KEY","source":{"type":"table","connection":"nowhere","table":"t","column":"c"}}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"keyId":"KEY","source":{"type":"queue","connection":"local"}}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"keyId":"KEY","source":{"type":"table","connection":"local","column":"c"}}""", KmsErrorCodes.ValidationFailed)]
    [InlineData("""{"keyId":"KEY","fromVersions":[1],"source":{"type":"table","connection":"local","table":"t","column":"c"}}""", KmsErrorCodes.ValidationFailed)]
    public async Task BadRequests_Are400_WithACode(string body, string code)
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        using var response = await host.Client.PostAsync("/api/rewrap-jobs",
            new StringContent(body.Replace("KEY", keyId, StringComparison.Ordinal), Encoding.UTF8, "application/json"));

        await Problems.AssertProblemAsync(response, 400, code);
    }

    private async Task<List<(string Plaintext, string Ciphertext)>> EncryptManyAsync(string keyId, int count, Dictionary<string, string>? context)
    {
        var plaintexts = Enumerable.Range(0, count).Select(_ => Convert.ToBase64String(Guid.NewGuid().ToByteArray())).ToList();
        var response = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { items = plaintexts.Select(p => new { plaintext = p, context }).ToArray() });
        return response.GetProperty("items").EnumerateArray().Select((item, i) => (plaintexts[i], item.GetProperty("ciphertext").GetString()!)).ToList();
    }
}
