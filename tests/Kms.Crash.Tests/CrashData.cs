using System.Buffers.Binary;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Testing;

namespace Kms.Crash.Tests;

/// <summary>Stored ciphertexts for the crash tests, and the scan of the task hub for plaintexts.</summary>
internal static class CrashData
{
    public const string Column = "Secret";

    /// <summary>The KMS's batch limit for encrypt and decrypt.</summary>
    public const int BatchSize = 1_000;

    private const int RowsPerPartition = 100;

    public static string RowKey(int i) => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads every row of the task hub's History and Instances tables; fails on any value that contains a plaintext.</summary>
    /// <param name="expected">A value the history must hold (the key id is in every input): proves the scan reads where inputs are kept.</param>
    public static async Task<int> ScanTaskHubForAsync(string hub, HashSet<string> plaintexts, string expected)
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

    /// <summary>Encrypts every plaintext with the key's primary version, with no context, through the batch API.</summary>
    public static async Task<Dictionary<string, string>> EncryptAsync(HttpClient client, string keyId, Dictionary<string, string> plaintexts)
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

    /// <summary>One entity per ciphertext, partitions of 100 rows, written as one transaction per partition.</summary>
    public static async Task SeedAsync(TableClient table, Dictionary<string, string> ciphertexts)
    {
        await table.CreateIfNotExistsAsync();
        var partitions = ciphertexts.OrderBy(c => c.Key, StringComparer.Ordinal).Chunk(RowsPerPartition).Select((rows, p) => rows.Select(row =>
            new TableTransactionAction(TableTransactionActionType.Add, new TableEntity($"p{p:D3}", row.Key) { [Column] = row.Value })).ToList());
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = 4 },
            async (actions, cancellationToken) => await table.SubmitTransactionAsync(actions, cancellationToken));
    }

    /// <summary>Every stored entity opens to its own plaintext, under <paramref name="version"/> (answer and ciphertext header).</summary>
    public static async Task AssertEveryItemOnVersionAsync(HttpClient client, TableClient table, Dictionary<string, string> plaintexts, int version)
    {
        var stored = new List<(string RowKey, string Ciphertext)>(plaintexts.Count);
        await foreach (var entity in table.QueryAsync<TableEntity>(maxPerPage: 1000))
        {
            stored.Add((entity.RowKey, entity.GetString(Column)));
        }

        Assert.Equal(plaintexts.Count, stored.Count);
        var wrong = new List<string>();
        foreach (var chunk in stored.Chunk(BatchSize))
        {
            var decrypted = await client.PostOkAsync("/api/decrypt", new { items = chunk.Select(s => new { ciphertext = s.Ciphertext }) });
            foreach (var (entity, result) in chunk.Zip(decrypted.GetProperty("items").EnumerateArray()))
            {
                var headerVersion = BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(entity.Ciphertext).AsSpan(18, 4));
                if (result.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    wrong.Add($"{entity.RowKey}: {error}");
                }
                else if (result.GetProperty("plaintext").GetString() != plaintexts[entity.RowKey]
                    || result.GetProperty("version").GetInt32() != version || headerVersion != version)
                {
                    wrong.Add($"{entity.RowKey}: version {result.GetProperty("version")} (header {headerVersion}), plaintext "
                        + (result.GetProperty("plaintext").GetString() == plaintexts[entity.RowKey] ? "kept" : "changed"));
                }
            }
        }

        Assert.True(wrong.Count == 0, $"{wrong.Count} of {plaintexts.Count} entities are wrong, e.g.{Environment.NewLine}{string.Join(Environment.NewLine, wrong.Take(10))}");
    }
}
