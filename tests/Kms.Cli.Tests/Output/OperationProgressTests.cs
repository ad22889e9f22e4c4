using Kms.Api.Contracts;
using Kms.Cli.Output;

namespace Kms.Cli.Tests.Output;

public sealed class OperationProgressTests
{
    private static readonly DateTimeOffset Time = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Describe_RewrapWithTotal_CountsPassAndEta()
    {
        var text = OperationProgress.Describe(Operation("RUNNING", "rewrap", new RewrapProgressResponse(400, 40, 10, 1000, 50, 11.2, 1)));

        Assert.Equal("RUNNING step rewrap, 450/1000 items (400 rewrapped, 40 skipped, 10 failed), pass 1, ETA 12s", text);
    }

    [Fact]
    public void Describe_AwaitingApprovals_ShowsReceivedOfRequired()
    {
        var approvals = new OperationApprovalsResponse(2, "alice", [new OperationApproval("bob", Time, null)], "waiting", Time.AddHours(72));

        Assert.Equal("RUNNING step awaiting-approvals, approvals 1/2 waiting", OperationProgress.Describe(Operation("RUNNING", "awaiting-approvals") with { Approvals = approvals }));
    }

    [Fact]
    public void Bar_HalfDone_HalfFilled()
    {
        var bar = OperationProgress.Bar(Operation("RUNNING", "rewrap", new RewrapProgressResponse(50, 0, 0, 100, 1, null, 1)), 0);

        Assert.Equal("[" + new string('#', 15) + new string('-', 15) + "]  50% ", bar);
    }

    [Fact]
    public void Bar_NoTotal_SpinnerTurnsWithTicks()
    {
        var running = Operation("RUNNING", "canary");

        Assert.NotEqual(OperationProgress.Bar(running, 0), OperationProgress.Bar(running, 1));
        Assert.Equal("", OperationProgress.Bar(Operation("COMPLETED", "done"), 3));
    }

    [Theory]
    [InlineData("COMPLETED", ExitCodes.Success)]
    [InlineData("FAILED", ExitCodes.OperationFailed)]
    [InlineData("CANCELED", ExitCodes.OperationCanceled)]
    [InlineData("RUNNING", ExitCodes.StillRunning)]
    [InlineData("PAUSED", ExitCodes.StillRunning)]
    public void ExitCodeOf_State_DocumentedCode(string state, int code)
    {
        Assert.Equal(code, OperationProgress.ExitCodeOf(state));
    }

    private static OperationResponse Operation(string state, string step, RewrapProgressResponse? progress = null) =>
        new("op-1", "rewrap", "k1", state, step, [], null, null, Time, Time, "/api/operations/op-1", progress);
}
