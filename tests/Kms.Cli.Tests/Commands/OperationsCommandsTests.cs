using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

[Collection(KmsHostCollection.Name)]
public sealed class OperationsCommandsTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Watch_StagedRotation_PlainLinesEndingCompletedExit0()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var started = await _cli.JsonAsync("operations", "start-rotation", keyId);
        var operationId = started.GetProperty("operationId").GetString()!;

        var watched = await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2"]);

        Assert.Equal(ExitCodes.Success, watched.Code);
        Assert.DoesNotContain('\r', watched.Output);
        Assert.StartsWith($"{operationId} COMPLETED", watched.Lines[^1], StringComparison.Ordinal);
        Assert.Contains("promoted", watched.Lines[^1], StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z  COMPLETED", watched.Lines[^2]);
        Assert.Equal(2, (await _cli.JsonAsync("keys", "show", keyId)).GetProperty("primaryVersion").GetInt32());
    }

    [Fact]
    public async Task StartRotationWatch_OnTerminal_RedrawsOneLineAndEndsCompleted()
    {
        var keyId = await _cli.CreateKeyAsync("EC_P256");

        var run = await _cli.RunAsync(["operations", "start-rotation", keyId, "--watch", "--interval", "0.2"], terminal: true);

        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Contains('\r', run.Output);
        Assert.Contains("COMPLETED", run.Lines[^1], StringComparison.Ordinal);
        Assert.Contains("started rotation-", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartRotationWatch_NarrowTerminal_RedrawnLinesFitTheWidth()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["operations", "start-rotation", keyId, "--watch", "--interval", "0.2"], terminal: true, terminalWidth: 24);

        Assert.Equal(ExitCodes.Success, run.Code);
        // Everything before the final outcome line is redrawn in place; a line as wide as the terminal would wrap.
        var redrawn = run.Output[..run.Output.LastIndexOf(Environment.NewLine, run.Output.Length - Environment.NewLine.Length - 1, StringComparison.Ordinal)];
        Assert.All(redrawn.Split('\r', StringSplitOptions.RemoveEmptyEntries), segment => Assert.True(segment.TrimEnd().Length < 24, segment));
    }

    [Fact]
    public async Task StartRotationWatchJson_StdoutIsOnlyTheFinalOperation()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["operations", "start-rotation", keyId, "--watch", "--interval", "0.2", "--json"]);

        Assert.Equal(ExitCodes.Success, run.Code);
        var final = run.Json();
        Assert.Equal("COMPLETED", final.GetProperty("state").GetString());
        Assert.Equal(keyId, final.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task ListAndShow_AfterRotation_FindTheOperation()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var operationId = (await _cli.JsonAsync("operations", "start-rotation", keyId)).GetProperty("operationId").GetString()!;
        await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2"]);

        var listed = await _cli.JsonAsync("operations", "list", "--type", "rotation", "--key", keyId);
        var table = await _cli.RunAsync(["operations", "list", "--type", "rotation", "--key", keyId]);
        var shown = await _cli.RunAsync(["operations", "show", operationId]);

        Assert.Contains(listed.GetProperty("operations").EnumerateArray(), o => o.GetProperty("operationId").GetString() == operationId);
        Assert.StartsWith("OPERATION ID", table.Lines[0], StringComparison.Ordinal);
        Assert.Contains(table.Lines, l => l.StartsWith(operationId, StringComparison.Ordinal) && l.Contains("COMPLETED", StringComparison.Ordinal));
        Assert.Contains(shown.Lines, l => l.StartsWith("state", StringComparison.Ordinal) && l.EndsWith("COMPLETED", StringComparison.Ordinal));
        Assert.Contains(shown.Lines, l => l.StartsWith("checkpoints", StringComparison.Ordinal) && l.Contains("promoted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resume_CompletedOperation_Exit5OperationConflictWithShowHint()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var operationId = (await _cli.JsonAsync("operations", "start-rotation", keyId)).GetProperty("operationId").GetString()!;
        await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2"]);

        var run = await _cli.RunAsync(["operations", "resume", operationId]);

        Assert.Equal(ExitCodes.Conflict, run.Code);
        Assert.Contains("OperationConflict", run.Error, StringComparison.Ordinal);
        Assert.Contains("kms operations show", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownOperation_Exit4()
    {
        var run = await _cli.RunAsync(["operations", "show", $"rotation-{Guid.NewGuid()}-x"]);

        Assert.Equal(ExitCodes.NotFound, run.Code);
        Assert.Contains("kms operations list", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revocation_ApprovedByTwoOthers_WatchReachesCompletedAndVersionDestroyed()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var started = await _cli.JsonAsync("operations", "start-revocation", keyId, "--version", "1", "--reason", "cli drill");
        var operationId = started.GetProperty("operationId").GetString()!;
        await host.WaitForStepAsync(operationId, "awaiting-approvals");

        var byRequester = await _cli.RunAsync(["operations", "approve", operationId],
            token: host.Token(KmsHostFixture.AdminPrincipal, KmsRoles.Approver));
        var first = await _cli.RunAsync(["operations", "approve", operationId, "--comment", "ticket SEC-9"],
            token: host.Token("cli-approver-1", KmsRoles.Approver));
        var second = await _cli.RunAsync(["operations", "approve", operationId, "--json"], token: host.Token("cli-approver-2", KmsRoles.Approver));
        var watched = await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2"]);

        Assert.Equal(ExitCodes.Conflict, byRequester.Code);
        Assert.Contains("ApprovalNotAllowed", byRequester.Error, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, first.Code);
        // The approval is counted by the orchestration after the answer: the approvers show in the final status.
        Assert.Contains(first.Lines, l => l.StartsWith("approvals", StringComparison.Ordinal));
        Assert.Equal(ExitCodes.Success, second.Code);
        Assert.Equal(operationId, second.Json().GetProperty("operationId").GetString());
        Assert.Equal(ExitCodes.Success, watched.Code);
        Assert.StartsWith($"{operationId} COMPLETED", watched.Lines[^1], StringComparison.Ordinal);
        var approvers = (await _cli.JsonAsync("operations", "show", operationId)).GetProperty("approvals").GetProperty("received").EnumerateArray()
            .Select(a => a.GetProperty("principal").GetString()!).Order().ToArray();
        Assert.Equal(["cli-approver-1", "cli-approver-2"], approvers);
        var versions = await _cli.JsonAsync("keys", "versions", "list", keyId);
        Assert.Equal("DESTROYED", versions.GetProperty("versions")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Watch_RevocationAwaitingApprovals_Timeout10_ThenCancelWatch9()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var operationId = (await _cli.JsonAsync("operations", "start-revocation", keyId, "--version", "1", "--reason", "cli drill"))
            .GetProperty("operationId").GetString()!;
        await host.WaitForStepAsync(operationId, "awaiting-approvals");

        var waiting = await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2", "--timeout", "1"]);
        var canceled = await _cli.RunAsync(["operations", "cancel", operationId]);
        var afterCancel = await _cli.RunAsync(["operations", "watch", operationId, "--interval", "0.2"]);

        Assert.Equal(ExitCodes.StillRunning, waiting.Code);
        Assert.Contains("approvals 0/2 waiting", waiting.Output, StringComparison.Ordinal);
        Assert.Contains($"kms operations watch {operationId}", waiting.Lines[^1], StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, canceled.Code);
        Assert.Equal(ExitCodes.OperationCanceled, afterCancel.Code);
        Assert.StartsWith($"{operationId} CANCELED", afterCancel.Lines[^1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("operations", "start-revocation", "k1", "--reason", "x")]
    [InlineData("operations", "start-revocation", "k1", "--version", "one", "--reason", "x")]
    [InlineData("operations", "start-rewrap", "k1")]
    [InlineData("operations", "start-rewrap", "k1", "--source", "type=table,colour=red")]
    [InlineData("operations", "watch", "op", "--interval", "0")]
    [InlineData("operations", "start-rotation", "k1", "--timeout", "5")]
    public async Task BadUsage_Exit2(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, run.Code);
        Assert.Contains($"kms operations {args[1]}", run.Error, StringComparison.Ordinal);
    }
}
