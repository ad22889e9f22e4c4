using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

[Collection(KmsHostCollection.Name)]
public sealed class AliasesCommandsTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task CreateUpdateDelete_AliasFollowsTheKeys()
    {
        var first = await _cli.CreateKeyAsync("AES_256");
        var second = await _cli.CreateKeyAsync("AES_256");
        var alias = $"cli-alias-{Guid.NewGuid():N}";

        var created = await _cli.JsonAsync("aliases", "create", alias, "--key", first);
        var again = await _cli.RunAsync(["aliases", "create", alias, "--key", second]);
        var updated = await _cli.JsonAsync("aliases", "update", alias, "--key", second);
        var listed = await _cli.RunAsync(["aliases", "list", "--key", second]);
        var deleted = await _cli.RunAsync(["aliases", "delete", alias]);
        var gone = await _cli.RunAsync(["keys", "show", alias]);

        Assert.Equal(first, created.GetProperty("keyId").GetString());
        Assert.Equal(ExitCodes.Conflict, again.Code);
        Assert.Contains($"kms aliases update {alias} --key {second}", again.Error, StringComparison.Ordinal);
        Assert.Equal(second, updated.GetProperty("keyId").GetString());
        Assert.Matches(@"^ALIAS\s+KEY ID$", listed.Lines[0]);
        Assert.Matches($@"^{alias}\s+{second}$", listed.Lines[1]);
        Assert.Equal(ExitCodes.Success, deleted.Code);
        Assert.Equal(ExitCodes.NotFound, gone.Code);
    }

    [Fact]
    public async Task Update_MissingAlias_Exit4WithCreateHint()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["aliases", "update", $"missing-{Guid.NewGuid():N}", "--key", keyId]);

        Assert.Equal(ExitCodes.NotFound, run.Code);
        Assert.Contains("kms aliases create", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_MissingAlias_Exit4AliasNotFound()
    {
        var run = await _cli.RunAsync(["aliases", "delete", $"missing-{Guid.NewGuid():N}"]);

        Assert.Equal(ExitCodes.NotFound, run.Code);
        Assert.Contains("AliasNotFound", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_AllKeys_JsonHasTheAlias()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var alias = $"cli-all-{Guid.NewGuid():N}";
        await _cli.JsonAsync("aliases", "create", alias, "--key", keyId);

        var json = await _cli.JsonAsync("aliases", "list");

        Assert.Contains(json.GetProperty("aliases").EnumerateArray(),
            a => a.GetProperty("alias").GetString() == alias && a.GetProperty("keyId").GetString() == keyId);
    }
}
