using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Testing;

namespace Kms.Api.Tests;

/// <summary>Stored items for rewrap tests (revocation, rotation): ciphertexts of one key in a fresh Azurite table, with their plaintexts.</summary>
internal sealed class StoredCiphertexts(KmsHostFixture host)
{
    public TableClient Table { get; } = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient(LocalStack.UniqueName("rv"));

    public Dictionary<string, string> Plaintexts { get; } = [];

    /// <summary>Encrypts <paramref name="count"/> random values with the key and stores them in <see cref="Table"/>, column Secret.</summary>
    public async Task SeedAsync(string keyId, int count)
    {
        await Table.CreateAsync();
        var values = Enumerable.Range(0, count).Select(_ => Convert.ToBase64String(Guid.NewGuid().ToByteArray())).ToArray();
        var response = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { items = values.Select(p => new { plaintext = p }).ToArray() });
        var i = 0;
        foreach (var item in response.GetProperty("items").EnumerateArray())
        {
            var rowKey = $"r{i:D4}";
            Plaintexts[rowKey] = values[i++];
            await Table.AddEntityAsync(new TableEntity("p", rowKey) { ["Secret"] = item.GetProperty("ciphertext").GetString() });
        }
    }

    public object Source => new { type = "table", connection = "local", table = Table.Name, column = "Secret" };

    /// <summary>Every stored item decrypts to its plaintext, on <paramref name="version"/>.</summary>
    public async Task AssertAllOnVersionAsync(string keyId, int version)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Table.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        Assert.Equal(Plaintexts.Count, rows.Count);
        var decrypted = await host.PostOkAsync("/api/decrypt",
            new { items = rows.Select(r => new { ciphertext = r.GetString("Secret") }).ToArray() });
        var items = decrypted.GetProperty("items").EnumerateArray().ToArray();
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(Plaintexts[rows[i].RowKey], items[i].GetProperty("plaintext").GetString());
            Assert.Equal(version, items[i].GetProperty("version").GetInt32());
        }
    }

    public async Task<string> VersionStateAsync(string keyId, int version)
    {
        var versions = await host.Client.GetFromJsonAsync<JsonElement>($"/api/keys/{keyId}/versions");
        return versions.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == version).GetProperty("state").GetString()!;
    }
}
