using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Kms.Core.Audit;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11;
using Kms.Storage.Tables;
using Kms.Storage.Tables.Internal;
using Kms.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests;

/// <summary>Every request leaves an audit record with the request's facts and none of its secrets.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class AuditRoutesTests(KmsHostFixture host)
{
    [Fact]
    public async Task Requests_AllowedAndDenied_AreAudited_WithContextKeysNotValues()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0", context = new { tenant = "acme-secret-value" } });
        using var intruder = host.CreateClient("intruder");
        using var denied = await intruder.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
        using var auditor = host.CreateClient("auditor-1", KmsRoles.Auditor);

        var records = await AuditPages.ReadAllAsync(auditor, $"keyId={keyId}&pageSize=100");
        var raw = string.Join("\n", records.Select(r => r.GetRawText()));

        var encrypt = Assert.Single(records, r => r.GetProperty("operation").GetString() == "Encrypt" && r.GetProperty("status").GetInt32() == 200);
        Assert.Equal(KmsHostFixture.AdminPrincipal, encrypt.GetProperty("principal").GetString());
        Assert.Equal(["tenant"], encrypt.GetProperty("contextKeys").EnumerateArray().Select(k => k.GetString()));
        Assert.Equal(1, encrypt.GetProperty("keyVersion").GetInt32());
        var refused = Assert.Single(records, r => r.GetProperty("principal").GetString() == "intruder");
        Assert.Equal(403, refused.GetProperty("status").GetInt32());
        Assert.Equal(KmsErrorCodes.AccessDenied, refused.GetProperty("errorCode").GetString());
        Assert.Contains("no role or key policy statement", refused.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("acme-secret-value", raw, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_UntouchedLog_Valid()
    {
        await host.PostOkAsync("/api/random", new { bytes = 4 });
        using var auditor = host.CreateClient("auditor-2", KmsRoles.Auditor);

        using var response = await auditor.PostAsJsonAsync("/api/audit/verify", new { });
        var result = await response.ReadJsonAsync();

        Assert.True(result.GetProperty("valid").GetBoolean(), result.GetRawText());
        Assert.True(result.GetProperty("records").GetInt64() > 0);
    }
}

/// <summary>
/// Tampering with the stored chain on real Azurite (edit, delete, reorder, insert and re-chain, truncate) is
/// named by verification; restarting the log starts a new chain and all chains still verify.
/// </summary>
public sealed class AuditChainTests : IAsyncLifetime
{
    private readonly string _prefix = LocalStack.UniqueName("audit");
    private ServiceProvider _services = null!;
    private TableClient _table = null!;

    public async Task InitializeAsync()
    {
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(LocalStack.Configuration)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Kms:Storage:TablePrefix"] = _prefix })
            .Build();
        RootKeyCeremony.EnsureRootKey(configuration.GetSection("Kms:Hsm").Get<Pkcs11HsmOptions>()!);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddTableStorage(configuration.GetSection("Kms:Storage"));
        services.AddPkcs11Hsm(configuration.GetSection("Kms:Hsm"));
        services.Configure<AuditOptions>(o =>
        {
            o.CheckpointInterval = TimeSpan.FromDays(1);
            o.Chains = 1;
        });
        services.AddSingleton<AuditSigner>().AddSingleton<AuditVerifier>().AddTransient<AuditLog>();
        _services = services.BuildServiceProvider();
        await _services.GetRequiredService<TableStoreInitializer>().EnsureCreatedAsync(CancellationToken.None);
        _table = new TableServiceClient(configuration["Kms:Storage:ConnectionString"]).GetTableClient(_prefix + "audit");
    }

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Verify_TwoRestartedChains_Valid()
    {
        await WriteChainAsync(5);
        await WriteChainAsync(3);

        var result = await VerifyAsync();

        Assert.True(result.Valid);
        Assert.Equal(2, result.Chains);
        Assert.Equal(8, result.Records);
    }

    [Fact]
    public async Task Verify_EditedRecord_NamesIt()
    {
        var chain = await WriteChainAsync(5);
        var records = await ReadAsync(chain);
        records[2] = records[2] with { Entry = records[2].Entry with { Principal = "someone-else" } };
        await StoreAsync(chain, records);

        AssertBreak(await VerifyAsync(), chain, 3, "modified");
    }

    [Fact]
    public async Task Verify_DeletedRecord_NamesTheGap()
    {
        var chain = await WriteChainAsync(5);
        var records = await ReadAsync(chain);
        records.RemoveAt(2);
        await StoreAsync(chain, records);

        AssertBreak(await VerifyAsync(), chain, 3, "missing");
    }

    [Fact]
    public async Task Verify_ReorderedRecords_NamesTheFirst()
    {
        var chain = await WriteChainAsync(5);
        var records = await ReadAsync(chain);
        (records[1], records[2]) = (records[2], records[1]);
        await StoreAsync(chain, records);

        var result = await VerifyAsync();

        Assert.False(result.Valid);
        Assert.Equal(2, Assert.Single(result.Breaks).Sequence);
    }

    [Fact]
    public async Task Verify_InsertedRecordWithRecomputedHashes_CaughtBySignedCheckpoint()
    {
        var chain = await WriteChainAsync(5);
        var records = await ReadAsync(chain);
        // An attacker inserts a forged record after 2, renumbers the rest and recomputes every hash (no secret
        // is needed for that): links and hashes are all consistent again; only the signed checkpoint is not.
        var forged = records[1].Entry with { Principal = "forged", RequestId = "forged" };
        var rewritten = records.Take(2).Select(r => r.Entry).Append(forged).Concat(records.Skip(2).Select(r => r.Entry)).ToList();
        var previous = AuditHashing.Genesis;
        var forgedChain = new List<AuditRecord>();
        for (var i = 0; i < rewritten.Count; i++)
        {
            var hash = AuditHashing.Hash(chain, i + 1, rewritten[i], previous);
            forgedChain.Add(new AuditRecord(chain, i + 1, rewritten[i], previous, hash));
            previous = hash;
        }

        await StoreAsync(chain, forgedChain);

        AssertBreak(await VerifyAsync(), chain, 5, "signed checkpoint");
    }

    [Fact]
    public async Task Verify_TruncatedTail_CaughtBySignedCheckpoint()
    {
        var chain = await WriteChainAsync(5);
        var records = await ReadAsync(chain);
        await StoreAsync(chain, records.Take(3).ToList());

        AssertBreak(await VerifyAsync(), chain, 4, "missing");
    }

    [Fact]
    public async Task Append_ConcurrentCallers_ShareBatches_ChainStaysGapFree()
    {
        await using var log = _services.GetRequiredService<AuditLog>();
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => log.AppendAsync(Entry($"r{i}"))));
        await log.DisposeAsync();

        var records = await ReadAsync(Assert.Single(log.ChainIds));

        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), records.Select(r => r.Sequence));
        Assert.True((await VerifyAsync()).Valid);
    }

    [Fact]
    public async Task Append_SeveralChains_EveryRecordStoredOnce_AllChainsVerify()
    {
        var options = Microsoft.Extensions.Options.Options.Create(new AuditOptions { Chains = 4, CheckpointInterval = TimeSpan.Zero });
        await using var log = new AuditLog(_services.GetRequiredService<IAuditStore>(), _services.GetRequiredService<AuditSigner>(), TimeProvider.System,
            options, Microsoft.Extensions.Logging.Abstractions.NullLogger<AuditLog>.Instance);
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => log.AppendAsync(Entry($"m{i}"))));
        await log.DisposeAsync();

        var stored = new List<AuditRecord>();
        foreach (var chain in log.ChainIds)
        {
            stored.AddRange(await ReadAsync(chain));
        }

        Assert.Equal(4, log.ChainIds.Count);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}").Order(), stored.Select(r => r.Entry.RequestId).Order());
        var result = await VerifyAsync();
        Assert.True(result.Valid, string.Join("; ", result.Breaks.Select(b => b.Problem)));
    }

    private async Task<string> WriteChainAsync(int count)
    {
        var log = _services.GetRequiredService<AuditLog>();
        for (var i = 0; i < count; i++)
        {
            await log.AppendAsync(Entry($"req-{i}"));
        }

        // Dispose writes the final signed checkpoint, as a host does when it stops.
        await log.DisposeAsync();
        return Assert.Single(log.ChainIds);
    }

    private Task<AuditVerification> VerifyAsync() => _services.GetRequiredService<AuditVerifier>().VerifyAsync(CancellationToken.None);

    private async Task<List<AuditRecord>> ReadAsync(string chain)
    {
        var records = new List<AuditRecord>();
        await foreach (var r in _services.GetRequiredService<IAuditStore>().ReadChainAsync(chain, CancellationToken.None))
        {
            records.Add(r);
        }

        return records;
    }

    /// <summary>
    /// What an attacker with write access to the table does: replaces the chain's stored records with
    /// <paramref name="records"/>, in that stored order (one block per record, as one-by-one appends store them).
    /// </summary>
    private async Task StoreAsync(string chain, IReadOnlyList<AuditRecord> records)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {chain}") + " and " + AuditBlocks.RecordRowsFilter;
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, select: ["RowKey"]))
        {
            await _table.DeleteEntityAsync(chain, row.RowKey);
        }

        for (var i = 0; i < records.Count; i++)
        {
            var block = Assert.Single(AuditBlocks.ToEntities([records[i]]));
            block.RowKey = AuditBlocks.BlockKey(i + 1);
            await _table.UpsertEntityAsync(block, TableUpdateMode.Replace);
        }
    }

    private static AuditEntry Entry(string requestId) =>
        new(DateTimeOffset.UtcNow, "alice", [KmsRoles.Crypto], "Encrypt", "0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80", 1, 200, null, "role kms.crypto", requestId,
            "127.0.0.1", ["tenant"]);

    private static void AssertBreak(AuditVerification result, string chain, long sequence, string problem)
    {
        Assert.False(result.Valid);
        var broken = Assert.Single(result.Breaks);
        Assert.Equal(chain, broken.ChainId);
        Assert.Equal(sequence, broken.Sequence);
        Assert.Contains(problem, broken.Problem, StringComparison.Ordinal);
    }
}

/// <summary>When the audit store cannot be written, requests fail closed with 503 and nothing is served unaudited.</summary>
public sealed class AuditFailClosedTests : IAsyncLifetime
{
    // One chain, so the records lost with the table belong to the chain that keeps being written.
    private readonly KmsHostFixture _host = new(new Dictionary<string, string?> { ["Kms:Audit:Chains"] = "1" });

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task Encrypt_AuditTableGone_503AuditUnavailable_ThenRecovers_AndVerifyNamesTheLostRecords()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        var table = new TableServiceClient(LocalStack.Configuration["Kms:Storage:ConnectionString"]).GetTableClient(_host.TablePrefix + "audit");
        await table.DeleteAsync();

        using var refused = await _host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0" });
        var body = await refused.Content.ReadAsStringAsync();
        await table.CreateIfNotExistsAsync();
        await _host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0" });
        using var auditor = _host.CreateClient("auditor", KmsRoles.Auditor);
        using var verify = await auditor.PostAsJsonAsync("/api/audit/verify", new { });

        Assert.Equal(503, (int)refused.StatusCode);
        Assert.Contains(KmsErrorCodes.AuditUnavailable, body, StringComparison.Ordinal);
        Assert.DoesNotContain("ciphertext", body, StringComparison.Ordinal);
        // Deleting the table destroyed the records written before it: verification must say so, not pass.
        var result = await verify.ReadJsonAsync();
        Assert.False(result.GetProperty("valid").GetBoolean());
        Assert.Contains("record 1 is missing", result.GetProperty("breaks")[0].GetProperty("problem").GetString(), StringComparison.Ordinal);
    }
}
