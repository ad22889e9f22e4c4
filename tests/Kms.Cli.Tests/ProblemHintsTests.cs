using Kms.Core.Errors;

namespace Kms.Cli.Tests;

public sealed class ProblemHintsTests
{
    [Theory]
    [InlineData(400, ExitCodes.Failure)]
    [InlineData(401, ExitCodes.Denied)]
    [InlineData(403, ExitCodes.Denied)]
    [InlineData(404, ExitCodes.NotFound)]
    [InlineData(409, ExitCodes.Conflict)]
    [InlineData(429, ExitCodes.Unavailable)]
    [InlineData(500, ExitCodes.Failure)]
    [InlineData(503, ExitCodes.Unavailable)]
    public void ExitCodeFor_Status_CodeFamily(int status, int code)
    {
        Assert.Equal(code, ProblemHints.ExitCodeFor(status));
    }

    [Fact]
    public void EnsureSuccess_KeyDisabled_ConflictWithEnableCommandForTheKey()
    {
        var response = new KmsResponse(409, """{"code":"KeyDisabled","detail":"Key 'k1' is disabled.","requestId":"r1"}""");

        var e = Assert.Throws<CliException>(() => response.EnsureSuccess("k1"));

        Assert.Equal(ExitCodes.Conflict, e.ExitCode);
        Assert.Equal("error 409 KeyDisabled: Key 'k1' is disabled.", e.Message);
        Assert.Equal("enable it with `kms keys enable k1`", e.Hint);
    }

    [Fact]
    public void EnsureSuccess_InternalError_MessageAndHintCarryRequestId()
    {
        var response = new KmsResponse(500, """{"code":"InternalError","detail":"Something failed.","requestId":"req-7"}""");

        var e = Assert.Throws<CliException>(() => response.EnsureSuccess());

        Assert.EndsWith("(request id req-7)", e.Message, StringComparison.Ordinal);
        Assert.Contains("req-7", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureSuccess_ThrottledWithRetryAfter_HintSaysWhen()
    {
        var response = new KmsResponse(429, """{"code":"Throttled","detail":"Slow down."}""") { RetryAfterSeconds = 3 };

        var e = Assert.Throws<CliException>(() => response.EnsureSuccess());

        Assert.Equal(ExitCodes.Unavailable, e.ExitCode);
        Assert.Equal("over the rate limit: retry after 3 s", e.Hint);
    }

    [Fact]
    public void EnsureSuccess_NotProblemDetails_StatusAndEndpointHint()
    {
        var e = Assert.Throws<CliException>(() => new KmsResponse(404, "<html/>").EnsureSuccess());

        Assert.Equal("error 404", e.Message);
        Assert.Contains("--endpoint", e.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void HintFor_EveryCodeTheCliCanMeet_NeverEmpty()
    {
        // The CLI sends JSON bodies and no batches, and no route answers ApprovalNotFound to it.
        var codes = typeof(KmsErrorCodes).GetFields().Select(f => (string)f.GetValue(null)!)
            .Except([KmsErrorCodes.UnsupportedMediaType, KmsErrorCodes.BatchTooLarge, KmsErrorCodes.ApprovalNotFound]);

        Assert.All(codes, code => Assert.False(string.IsNullOrEmpty(ProblemHints.HintFor(400, code, "k1", "r1", null)), code));
    }
}
