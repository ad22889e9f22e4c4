using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Testing;
using Xunit.Abstractions;

namespace Kms.Crash.Tests;

/// <summary>
/// Audit records that a host stored but had not yet published as events when it was killed are published by the next
/// process: their blocks lie after the chain's published cursor, and the new process's first sweep takes them over.
/// A host stopped normally hands them to the outbox as rows before it exits, which needs no takeover at all
/// (docs/events.md, "Audit records: the published cursor").
/// </summary>
public sealed class AuditEventsCrashTests(ITestOutputHelper output)
{
    private const int Requests = 40;
    private static readonly TimeSpan ToPublish = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AuditRecordsStoredBeforeAKill9_ArePublishedByTheNextProcess()
    {
        // The next process takes over another process's stored records at once, in its first sweep.
        await using var host = await StartHoldingAuditAsync(takeoverDelay: "00:00:00");
        var (audit, chain, stored) = await StoreUnpublishedRecordsAsync(host);

        host.KillHard();
        await host.StartAgainAsync();

        await AssertPublishedByTheNewProcessAsync(host, audit, chain, stored);
    }

    [Fact]
    public async Task AuditRecordsHeldAtAGracefulStop_AreHandedToTheOutbox_AndPublishedAtTheNextStart()
    {
        // No takeover within this test: only rows written at the stop can get the records out.
        await using var host = await StartHoldingAuditAsync(takeoverDelay: "00:10:00");
        var (audit, chain, stored) = await StoreUnpublishedRecordsAsync(host);

        host.StopGracefully();

        // The stop wrote the final checkpoint, then gave every record after the cursor a row and moved the cursor.
        var storedAtStop = await LastStoredSequenceAsync(audit, chain.Id);
        Assert.True(storedAtStop >= stored);
        Assert.Equal(storedAtStop, (await ChainsAsync(audit)).Single(c => c.Id == chain.Id).PublishedThrough);
        Assert.True(await OutboxRowsAsync(audit, chain.Id) > 0, "no outbox row was written at the stop");

        await host.StartAgainAsync();
        await AssertPublishedByTheNewProcessAsync(host, audit, chain, storedAtStop);
    }

    private static Task<LocalHostProcess> StartHoldingAuditAsync(string takeoverDelay) =>
        LocalHostProcess.StartAsync(new Dictionary<string, string>
        {
            ["Kms__Events__Enabled"] = "true",
            ["Kms__Events__TopicEndpoint"] = "http://127.0.0.1:{port}/eventgrid/api/events",
            ["Kms__Events__TopicKey"] = "crash-topic-key",
            ["Kms__LocalEventGrid__Enabled"] = "true",
            ["Kms__LocalEventGrid__AccessKey"] = "crash-topic-key",
            // The writer holds its audit batches a minute before publishing them, so the kill or the stop comes first.
            ["Kms__Events__AuditLinger"] = "00:01:00",
            ["Kms__Events__AuditTakeoverDelay"] = takeoverDelay,
        });

    /// <summary>Encrypts <see cref="Requests"/> times; returns the audit table, the host's chain and its last stored sequence.</summary>
    private static async Task<(TableClient Audit, Chain Chain, long Stored)> StoreUnpublishedRecordsAsync(LocalHostProcess host)
    {
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
        Assert.True(chain.PublishedThrough == 0, $"the writer published before it stopped (cursor {chain.PublishedThrough}): nothing left to hand over");
        return (audit, chain, stored);
    }

    private async Task AssertPublishedByTheNewProcessAsync(LocalHostProcess host, TableClient audit, Chain chain, long stored)
    {
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

        output.WriteLine($"{stored} records of the first process: cursor at {cursor}, {rows} outbox rows left, {waited.Elapsed.TotalSeconds:F1} s after the restart");
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
