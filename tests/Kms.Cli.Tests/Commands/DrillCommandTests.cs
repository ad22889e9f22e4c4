using System.Text.Json;
using Azure.Data.Tables;
using Kms.Cli.Commands;
using Kms.Cli.Drill;
using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

/// <summary>
/// A KMS with events on whose local Event Grid topic delivers every event to one webhook URL, the one the drill listens
/// on in <see cref="DrillCommandTests"/> (subscriptions of the stand-in are configuration, fixed when the host starts).
/// </summary>
public sealed class DrillHostFixture : IAsyncLifetime
{
    public DrillHostFixture()
    {
        SubscriberUrl = $"http://127.0.0.1:{EventGridKmsHost.FreePort()}/drill-events";
        var port = EventGridKmsHost.FreePort();
        // The subscription takes only what a drill listens for, as docs/cli.md advises, so the audit records of every
        // request do not queue up for the drill's URL between drills.
        Host = EventGridKmsHost.Create(new Uri(SubscriberUrl), port, "drill", "Kms.KeyCreated", "Kms.KeyVersionRevoked");
    }

    public string SubscriberUrl { get; }

    public KmsHostFixture Host { get; }

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();
}

public sealed class DrillCommandTests(DrillHostFixture fixture) : IClassFixture<DrillHostFixture>, IDisposable
{
    private readonly HostCli _cli = CreateCli(fixture.Host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Drill_SubscribedListenerAndApprovers_EveryCheckPassesExit0()
    {
        var run = await _cli.RunAsync(
        [
            "drill", "--listen", fixture.SubscriberUrl, "--items", "12", "--waiting-days", "0", "--event-timeout", "300",
            "--approver-token", Approver("drill-approver-1"), "--approver-token", Approver("drill-approver-2"), "--json",
        ]);

        Assert.True(run.Code == ExitCodes.Success, run.Output + run.Error);
        var report = run.Json();
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.Equal(DrillChecks.All, Checks(report).Select(c => c.Name));
        Assert.All(Checks(report), c => Assert.True(c.Result == DrillCheck.Pass, $"{c.Name}: {c.Result} {c.Detail}"));
        Assert.True(report.GetProperty("timeToRevoke").GetProperty("firstRefusedDecryptMs").GetDouble() > 0);
        Assert.True(report.GetProperty("events").GetProperty("latencyMs").GetDouble() > 0);
        Assert.Equal(fixture.SubscriberUrl, report.GetProperty("events").GetProperty("listenUrl").GetString());
        var rewrap = report.GetProperty("rewrap");
        Assert.Equal(12, rewrap.GetProperty("ok").GetInt32());
        Assert.Equal(0, rewrap.GetProperty("bad").GetInt32());
        Assert.Equal(12, rewrap.GetProperty("done").GetInt64());

        // The canary is on its way out, its versions as the drill left them; the sample table is gone.
        var keyId = report.GetProperty("keyId").GetString()!;
        var key = await _cli.JsonAsync("keys", "show", keyId);
        Assert.Equal("PENDING_DELETION", key.GetProperty("state").GetString());
        Assert.Equal("kms-drill", key.GetProperty("tags").GetProperty("purpose").GetString());
        var versions = (await _cli.JsonAsync("keys", "versions", "list", keyId)).GetProperty("versions").EnumerateArray().ToArray();
        Assert.Equal("DESTROYED", versions.Single(v => v.GetProperty("version").GetInt32() == 1).GetProperty("state").GetString());
        Assert.False(await TableExistsAsync(report.GetProperty("table").GetString()!));
        Assert.DoesNotContain("plaintext", run.Output, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Drill_ListenerNoSubscriptionPointsAt_EventChecksFailExit11()
    {
        var unheard = $"http://127.0.0.1:{EventGridKmsHost.FreePort()}/drill-events";

        var run = await _cli.RunAsync(["drill", "--listen", unheard, "--items", "5", "--event-timeout", "3", "--waiting-days", "0"]);

        Assert.Equal(ExitCodes.DrillFailed, run.Code);
        Assert.Contains("drill FAILED: subscriber-reachable, revocation-event-received", run.Lines[^1], StringComparison.Ordinal);
        var table = run.Lines.Where(l => l.StartsWith("revocation-event-received", StringComparison.Ordinal)).Single();
        Assert.Contains("FAIL", table, StringComparison.Ordinal);
        Assert.Contains("no Kms.KeyVersionRevoked of the canary reached " + unheard, table, StringComparison.Ordinal);
        // The rest of the drill still ran and passed: the failure is the subscriber's alone.
        foreach (var check in new[] { DrillChecks.OldCiphertextRefused, DrillChecks.ReplacementPrimary, DrillChecks.RewrapCompleted, DrillChecks.SamplesVerified })
        {
            Assert.Matches($"^{check} +PASS ", run.Lines.Single(l => l.StartsWith(check + " ", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task Drill_NoEventsNoApprovers_SkipsThoseChecksCancelsTheWaitingRevocationExit0()
    {
        var run = await _cli.RunAsync(["drill", "--no-events", "--items", "3", "--waiting-days", "0", "--json"]);

        Assert.True(run.Code == ExitCodes.Success, run.Output + run.Error);
        var checks = Checks(run.Json()).ToDictionary(c => c.Name);
        Assert.Equal(DrillCheck.Skip, checks[DrillChecks.SubscriberReachable].Result);
        Assert.Equal(DrillCheck.Skip, checks[DrillChecks.RevocationEventReceived].Result);
        Assert.Equal(DrillCheck.Skip, checks[DrillChecks.MaterialDestroyed].Result);
        Assert.Equal(DrillCheck.Pass, checks[DrillChecks.SamplesVerified].Result);
        Assert.Contains("canceled at step awaiting-approvals", checks[DrillChecks.Cleanup].Detail, StringComparison.Ordinal);
        var operation = await _cli.JsonAsync("operations", "show", run.Json().GetProperty("revocationOperationId").GetString()!);
        Assert.Equal("CANCELED", operation.GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("drill")]
    [InlineData("drill", "--no-events", "--listen", "http://127.0.0.1:7090/e")]
    [InlineData("drill", "--listen", "http://example.com:7090/e")]
    [InlineData("drill", "--listen", "https://127.0.0.1:7090/e")]
    [InlineData("drill", "--no-events", "--items", "0")]
    public async Task Drill_BadArguments_UsageExit2WithoutTouchingTheKms(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains("kms drill (--listen URL | --no-events)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drill_NoStorageConnection_UsageExit2NamesTheVariable()
    {
        using var cli = new HostCli(fixture.Host);

        var run = await cli.RunAsync(["drill", "--no-events", "--connection", "nowhere"]);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains(DrillCommand.StorageVariable, run.Error, StringComparison.Ordinal);
    }

    private static HostCli CreateCli(KmsHostFixture host)
    {
        var cli = new HostCli(host);
        // The host knows this storage as rewrap connection "local" (infra/local/test.sh sets it).
        cli.ExtraEnvironment[DrillCommand.StorageVariable] = LocalStack.Require("Kms:Storage:ConnectionString");
        return cli;
    }

    private string Approver(string principal) => fixture.Host.Token(principal, KmsRoles.Approver);

    private static IEnumerable<DrillCheck> Checks(JsonElement report) =>
        report.GetProperty("checks").EnumerateArray()
            .Select(c => new DrillCheck(c.GetProperty("name").GetString()!, c.GetProperty("result").GetString()!, c.GetProperty("detail").GetString()!));

    private static async Task<bool> TableExistsAsync(string name)
    {
        var service = new TableServiceClient(LocalStack.Require("Kms:Storage:ConnectionString"));
        await foreach (var table in service.QueryAsync(t => t.Name == name))
        {
            return true;
        }

        return false;
    }
}
