using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

[Collection(KmsHostCollection.Name)]
public sealed class KeysCommandsTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Create_WithAliasAndTags_JsonIsTheKeyAndShowByAliasFindsIt()
    {
        var alias = $"cli-{Guid.NewGuid():N}";

        var created = await _cli.JsonAsync("keys", "create", "--spec", "AES_256", "--alias", alias, "--description", "orders", "--tag", "team=billing");

        var keyId = created.GetProperty("keyId").GetString()!;
        Assert.Equal("ENABLED", created.GetProperty("state").GetString());
        Assert.Equal("billing", created.GetProperty("tags").GetProperty("team").GetString());
        var shown = await _cli.RunAsync(["keys", "show", alias]);
        Assert.Equal(ExitCodes.Success, shown.Code);
        Assert.Contains(shown.Lines, l => l.StartsWith("keyId", StringComparison.Ordinal) && l.EndsWith(keyId, StringComparison.Ordinal));
        Assert.Contains(shown.Lines, l => l.StartsWith("aliases", StringComparison.Ordinal) && l.EndsWith(alias, StringComparison.Ordinal));
        Assert.Contains(shown.Lines, l => l.StartsWith("tags", StringComparison.Ordinal) && l.EndsWith("team=billing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task List_AfterCreate_TableRowAndJsonItemForTheKey()
    {
        var keyId = await _cli.CreateKeyAsync("EC_P256");

        var table = await _cli.RunAsync(["keys", "list"]);
        var json = await _cli.JsonAsync("keys", "list");

        Assert.Equal(ExitCodes.Success, table.Code);
        Assert.StartsWith("KEY ID", table.Lines[0], StringComparison.Ordinal);
        var row = Assert.Single(table.Lines, l => l.StartsWith(keyId, StringComparison.Ordinal));
        Assert.Contains("EC_P256", row, StringComparison.Ordinal);
        Assert.Contains("SIGN_VERIFY", row, StringComparison.Ordinal);
        Assert.Contains(json.GetProperty("keys").EnumerateArray(), k => k.GetProperty("keyId").GetString() == keyId);
        Assert.False(json.TryGetProperty("continuationToken", out _));
    }

    [Fact]
    public async Task Disable_ThenEncrypt_Exit5WithKeyDisabledAndEnableHint_EnableRestores()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var disabled = await _cli.JsonAsync("keys", "disable", keyId);
        var refused = await _cli.RunAsync(["encrypt", "--key", keyId], stdin: [1, 2, 3]);

        Assert.Equal("DISABLED", disabled.GetProperty("state").GetString());
        Assert.Equal(ExitCodes.Conflict, refused.Code);
        Assert.Contains("error 409 KeyDisabled:", refused.Error, StringComparison.Ordinal);
        Assert.Contains($"hint: enable it with `kms keys enable {keyId}`", refused.Error, StringComparison.Ordinal);
        Assert.Empty(refused.Bytes);
        Assert.Equal("ENABLED", (await _cli.JsonAsync("keys", "enable", keyId)).GetProperty("state").GetString());
        Assert.Equal(ExitCodes.Success, (await _cli.RunAsync(["encrypt", "--key", keyId], stdin: [1, 2, 3])).Code);
    }

    [Fact]
    public async Task RotateAndVersions_DisableOldVersion_ListShowsStatesAndPrimary()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var rotated = await _cli.JsonAsync("keys", "rotate", keyId);
        var disabled = await _cli.JsonAsync("keys", "versions", "disable", keyId, "1");
        var table = await _cli.RunAsync(["keys", "versions", "list", keyId]);

        Assert.Equal(2, rotated.GetProperty("primaryVersion").GetInt32());
        Assert.Equal("DISABLED", disabled.GetProperty("state").GetString());
        Assert.Equal(ExitCodes.Success, table.Code);
        Assert.Matches(@"^1\s+DISABLED\s+-\s", table.Lines[1]);
        Assert.Matches(@"^2\s+ENABLED\s+\*\s", table.Lines[2]);
        Assert.Equal("ENABLED", (await _cli.JsonAsync("keys", "versions", "enable", keyId, "1")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task ScheduleAndCancelDeletion_KeyPendingThenDisabled()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var pending = await _cli.JsonAsync("keys", "schedule-deletion", keyId, "--waiting-days", "7");
        var refused = await _cli.RunAsync(["encrypt", "--key", keyId], stdin: [1]);
        var canceled = await _cli.JsonAsync("keys", "cancel-deletion", keyId);

        Assert.Equal("PENDING_DELETION", pending.GetProperty("state").GetString());
        Assert.True(pending.TryGetProperty("deletionDate", out _));
        Assert.Equal(ExitCodes.Conflict, refused.Code);
        Assert.Contains($"kms keys cancel-deletion {keyId}", refused.Error, StringComparison.Ordinal);
        Assert.Equal("DISABLED", canceled.GetProperty("state").GetString());
    }

    [Fact]
    public async Task DeletionProtection_On_ScheduleDeletionRefusedWithHint()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var protectedKey = await _cli.JsonAsync("keys", "deletion-protection", keyId, "on");
        var refused = await _cli.RunAsync(["keys", "schedule-deletion", keyId, "--waiting-days", "7"]);

        Assert.True(protectedKey.GetProperty("deletionProtection").GetBoolean());
        Assert.Equal(ExitCodes.Conflict, refused.Code);
        Assert.Contains("DeletionProtected", refused.Error, StringComparison.Ordinal);
        Assert.Contains($"kms keys deletion-protection {keyId} off", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotationPolicy_DaysThenOff_KeyShowsPeriodThenNone()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var withPolicy = await _cli.JsonAsync("keys", "rotation-policy", keyId, "--days", "90");
        var without = await _cli.JsonAsync("keys", "rotation-policy", keyId, "--off");

        Assert.Equal(90, withPolicy.GetProperty("rotationPeriodDays").GetInt32());
        Assert.False(without.TryGetProperty("rotationPeriodDays", out _));
    }

    [Fact]
    public async Task Show_UnknownKey_Exit4WithKeyNotFoundAndListHint()
    {
        var run = await _cli.RunAsync(["keys", "show", Guid.NewGuid().ToString()]);

        Assert.Equal(ExitCodes.NotFound, run.Code);
        Assert.Contains("error 404 KeyNotFound:", run.Error, StringComparison.Ordinal);
        Assert.Contains("hint: list keys with `kms keys list`", run.Error, StringComparison.Ordinal);
        Assert.Equal("", run.Output);
    }

    [Fact]
    public async Task Create_TokenWithoutAdminRole_Exit3AccessDeniedWithSimulateHint()
    {
        var auditor = host.Token($"auditor-{Guid.NewGuid():N}", KmsRoles.Auditor);

        var run = await _cli.RunAsync(["keys", "create", "--spec", "AES_256"], token: auditor);

        Assert.Equal(ExitCodes.Denied, run.Code);
        Assert.Contains("error 403 AccessDenied:", run.Error, StringComparison.Ordinal);
        Assert.Contains("kms policy simulate", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_InvalidToken_Exit3UnauthenticatedWithTokenHintAndNoTokenEcho()
    {
        const string bogus = "not-a-jwt-but-secret-looking";

        var run = await _cli.RunAsync(["keys", "list"], token: bogus);

        Assert.Equal(ExitCodes.Denied, run.Code);
        Assert.Contains("error 401 Unauthenticated:", run.Error, StringComparison.Ordinal);
        Assert.Contains("kms token", run.Error, StringComparison.Ordinal);
        Assert.Contains("KMS_TOKEN", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(bogus, run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("keys", "create")]
    [InlineData("keys", "show")]
    [InlineData("keys", "versions", "enable", "k1", "first")]
    [InlineData("keys", "deletion-protection", "k1", "maybe")]
    [InlineData("keys", "rotation-policy", "k1")]
    [InlineData("keys", "list", "--colour", "red")]
    public async Task BadUsage_Exit2WithTheCommandsUsage(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains($"kms {args[0]} {args[1]}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("kms encrypt", run.Error, StringComparison.Ordinal);
    }
}
