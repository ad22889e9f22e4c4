using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Testing;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>
/// Audit records that a host stored but had not yet published as events when it was killed are published by the next
/// process: their blocks lie after the chain's published cursor, and the new process's first sweep takes them over
/// (docs/events.md, "Audit records: the published cursor").
/// </summary>
public sealed class AuditEventsCrashTests(ITestOutputHelper output)
{
    private const int Requests = 40;
    private static readonly TimeSpan ToPublish = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AuditRecordsStoredBeforeAKill9_ArePublishedByTheNextProcess()
    {
        await using var host = await LocalHostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Kms__Events__Enabled"] = "true",
            ["Kms__Events__TopicEndpoint"] = "http://127.0.0.1:{port}/eventgrid/api/events",
            ["Kms__Events__TopicKey"] = "crash-topic-key",
            ["Kms__LocalEventGrid__Enabled"] = "true",
            ["Kms__LocalEventGrid__AccessKey"] = "crash-topic-key",
            // The writer holds its audit batches a minute before publishing them, so the kill comes first.
            ["Kms__Events__AuditLinger"] = "00:01:00",
            // The next process takes over another process's stored records at once, in its first sweep.
            ["Kms__Events__AuditTakeoverDelay"] = "00:00:00",
        });
        var audit = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient(host.TablePrefix + "audit");
        using (var client = host.CreateClient())
        {
            var keyId = await client.CreateKeyAsync("AES_256");
            for (var i = 0; i < Requests; i++)
            {
                using var response = await client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String([1, 2, 3]) });
                response.EnsureSuccessStatusCode();
            }
        }

        // Every answered request waited for its record to be stored; none of them is published yet.
        var chain = Assert.Single(await ChainsAsync(audit));
        var stored = await LastStoredSequenceAsync(audit, chain.Id);
        Assert.True(stored >= Requests + 1, $"only {stored} records stored");
        Assert.True(chain.PublishedThrough == 0, $"the writer published before the kill (cursor {chain.PublishedThrough}): nothing left to take over");

        host.KillHard();
        await host.StartAgainAsync();

        var waited = System.Diagnostics.Stopwatch.StartNew();
        long cursor;
        int rows;
        do
        {
            await Task.Delay(500);
            cursor = (await ChainsAsync(audit)).Single(c => c.Id == chain.Id).PublishedThrough ?? -1;
            rows = await OutboxRowsAsync(audit, chain.Id);
        }
        while ((cursor < stored || rows > 0) && waited.Elapsed < ToPublish);

        output.WriteLine($"{stored} records of the killed process: cursor at {cursor}, {rows} outbox rows left, {waited.Elapsed.TotalSeconds:F1} s after the restart");
        Assert.Equal(stored, cursor);
        // A row is deleted only once the topic accepted its events.
        Assert.Equal(0, rows);
        using var again = host.CreateClient();
        var events = (await again.GetFromJsonAsync<JsonElement>("/api/health")).GetProperty("events");
        Assert.True(events.GetProperty("published").GetInt64() > 0, $"the new process published nothing: {events}");
    }

    private sealed record Chain(string Id, long? PublishedThrough);

    private static async Task<List<Chain>> ChainsAsync(TableClient audit)
    {
        var chains = new List<Chain>();
        await foreach (var row in audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"~chains"}")))
        {
            chains.Add(new Chain(row.RowKey, row.GetInt64("PublishedThrough")));
        }

        return chains;
    }

    private static async Task<long> LastStoredSequenceAsync(TableClient audit, string chainId)
    {
        long last = 0;
        await foreach (var block in audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {chainId} and RowKey ge {"b"} and RowKey lt {"c"}")))
        {
            last = Math.Max(last, block.GetInt64("LastSequence") ?? 0);
        }

        return last;
    }

    private static async Task<int> OutboxRowsAsync(TableClient audit, string chainId)
    {
        var rows = 0;
        await foreach (var _ in audit.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {chainId} and RowKey ge {"o"} and RowKey lt {"p"}"),
            select: ["RowKey"]))
        {
            rows++;
        }

        return rows;
    }
}
