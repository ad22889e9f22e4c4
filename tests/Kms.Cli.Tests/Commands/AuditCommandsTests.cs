using Kms.Cli.Commands;

namespace Kms.Cli.Tests.Commands;

public sealed class AuditCommandsTests
{
    [Fact]
    public void BuildQuery_Filters_EscapedQueryString()
    {
        var parsed = CliArguments.Parse(["--key", "k1", "--principal", "svc a", "--result", "denied"], "key", "principal", "result", "operation", "from");

        Assert.Equal("api/audit?pageSize=20&keyId=k1&principal=svc%20a&result=denied", AuditCommands.BuildQuery(parsed, 20));
    }

    [Fact]
    public void FormatRecords_OneLinePerRecord_WithCodeAndRequestId()
    {
        var lines = AuditCommands.FormatRecords("""
            {"records":[{"time":"2026-11-30T12:00:00Z","principal":"bob","operation":"Decrypt","keyId":"k1","keyVersion":2,"status":403,"errorCode":"AccessDenied","requestId":"r1"},
                        {"time":"2026-11-30T12:00:01Z","operation":"ListKeys","status":401,"errorCode":"Unauthenticated","requestId":"r2"}]}
            """).ToArray();

        Assert.Equal("2026-11-30 12:00:00Z bob Decrypt k1/v2 -> 403 AccessDenied [r1]", lines[0]);
        Assert.Equal("2026-11-30 12:00:01Z (anonymous) ListKeys - -> 401 Unauthenticated [r2]", lines[1]);
    }

    [Fact]
    public void FormatVerification_Broken_NamesEachBreak()
    {
        var (lines, valid) = AuditCommands.FormatVerification("""
            {"valid":false,"chains":2,"records":10,"breaks":[{"chainId":"c1","sequence":3,"problem":"record 3 was modified"}]}
            """);

        Assert.False(valid);
        Assert.Equal(["BROKEN: 10 records in 2 chains", "  chain c1 at record 3: record 3 was modified"], lines);
    }
}
