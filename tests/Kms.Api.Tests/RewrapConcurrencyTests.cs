using Azure.Data.Tables;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Testing;
using Kms.Workflows.Rewrap;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests;

/// <summary>
/// A rewrap page on a real Azurite table while another writer changes an item between the campaign's read and its
/// write: the campaign never overwrites that write; it rewraps what the other writer stored instead.
/// </summary>
[Collection(KmsHostCollection.Name)]
public sealed class RewrapConcurrencyTests(KmsHostFixture host)
{
    [Fact]
    public async Task AnItemChangedAfterTheRead_IsReadAgain_AndTheNewValueIsWhatGetsRewrapped()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var table = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString")).GetTableClient(LocalStack.UniqueName("rwc"));
        await table.CreateAsync();
        var original = await EncryptAsync(keyId, "b3JpZ2luYWw=");
        var theirs = await EncryptAsync(keyId, "dGhlaXJz");
        await table.AddEntityAsync(new TableEntity("p", "item") { ["Secret"] = original });
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });

        var services = host.Services!;
        var sources = new InterferingSources(services.GetRequiredService<IRewrapSources>(), async () =>
            await table.UpdateEntityAsync(new TableEntity("p", "item") { ["Secret"] = theirs }, Azure.ETag.All, TableUpdateMode.Merge));
        var steps = new RewrapSteps(sources, services.GetRequiredService<Rewrapper>());
        var input = new RewrapInput(keyId, null, new RewrapSourceSpec("table", "local", table.Name, "Secret"), false, "tester", null);

        var result = await steps.RewrapPageAsync(new RewrapPageRequest(input, null), CancellationToken.None);

        Assert.Equal(1, result.Done);
        Assert.Equal(1, sources.Interferences);
        var stored = (await table.GetEntityAsync<TableEntity>("p", "item")).Value.GetString("Secret");
        var opened = await host.PostOkAsync("/api/decrypt", new { ciphertext = stored });
        Assert.Equal("dGhlaXJz", opened.GetProperty("plaintext").GetString());
        Assert.Equal(2, opened.GetProperty("version").GetInt32());
        await table.DeleteAsync();
    }

    private async Task<string> EncryptAsync(string keyId, string plaintext) =>
        (await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext })).GetProperty("ciphertext").GetString()!;

    /// <summary>Real sources, except that the first write is preceded by another writer's change to the same item.</summary>
    private sealed class InterferingSources(IRewrapSources inner, Func<Task> interfere) : IRewrapSources
    {
        public int Interferences { get; private set; }

        public void Validate(RewrapSourceSpec spec) => inner.Validate(spec);

        public IRewrapSource Open(RewrapSourceSpec spec) => new Source(inner.Open(spec), this);

        private sealed class Source(IRewrapSource inner, InterferingSources owner) : IRewrapSource
        {
            public Task<RewrapPage> ReadPageAsync(string? continuation, int pageSize, CancellationToken cancellationToken) =>
                inner.ReadPageAsync(continuation, pageSize, cancellationToken);

            public async Task<bool> WriteAsync(RewrapItem item, byte[] ciphertext, CancellationToken cancellationToken)
            {
                if (owner.Interferences == 0)
                {
                    owner.Interferences++;
                    await owner.InterfereAsync();
                }

                return await inner.WriteAsync(item, ciphertext, cancellationToken);
            }

            public Task<RewrapItem?> ReadItemAsync(string id, CancellationToken cancellationToken) => inner.ReadItemAsync(id, cancellationToken);

            public Task<long?> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);
        }

        private Task InterfereAsync() => interfere();
    }
}
