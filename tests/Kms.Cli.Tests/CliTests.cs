using System.Text.Json.Nodes;
using Kms.Api.Security;
using Kms.Cli;
using Kms.Cli.Commands;
using Kms.Core.Authorization;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Cli.Tests;

public sealed class CliTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kms-cli-tests");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly StringWriter _out = new();
    private readonly StringWriter _err = new();

    private string KeyFile => Path.Combine(_dir.FullName, "dev-issuer.pem");

    public void Dispose()
    {
        _dir.Delete(recursive: true);
        _out.Dispose();
        _err.Dispose();
    }

    [Fact]
    public async Task Token_ValidKeyFile_MintsTokenTheHostAccepts()
    {
        DevTokenIssuer.EnsureKeyFile(KeyFile);

        var code = TokenCommand.Run(["--principal", "alice", "--role", KmsRoles.Admin, "--role", KmsRoles.Crypto, "--minutes", "5", "--key-file", KeyFile],
            _out, _err, _time, _dir.FullName);

        Assert.Equal(0, code);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(_out.ToString().Trim(), new TokenValidationParameters
        {
            ValidIssuer = KmsAuthOptions.DefaultDevIssuer,
            ValidAudience = KmsAuthOptions.DefaultAudience,
            IssuerSigningKey = DevTokenIssuer.Load(KeyFile).SigningKey,
            LifetimeValidator = (nbf, exp, _, _) => exp - nbf == TimeSpan.FromMinutes(5),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        Assert.Equal("alice", result.Claims["sub"]);
        Assert.Equal([KmsRoles.Admin, KmsRoles.Crypto], ((IEnumerable<object>)result.Claims["roles"]).Select(r => r.ToString()));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1441")]
    [InlineData("ten")]
    public void Token_MinutesOutOfRange_UsageError(string minutes)
    {
        Assert.Throws<UsageException>(() => TokenCommand.Run(["--principal", "a", "--minutes", minutes, "--key-file", KeyFile], _out, _err, _time, _dir.FullName));
    }

    [Fact]
    public void Token_MissingKeyFile_ClearError()
    {
        var e = Assert.Throws<CliException>(() => TokenCommand.Run(["--principal", "a", "--key-file", KeyFile], _out, _err, _time, _dir.FullName));
        Assert.Contains("infra/local/up.sh", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_UnknownOption_UsageError()
    {
        Assert.Throws<UsageException>(() => TokenCommand.Run(["--principle", "a"], _out, _err, _time, _dir.FullName));
    }

    [Fact]
    public void Token_UnknownRole_WarnsButMints()
    {
        DevTokenIssuer.EnsureKeyFile(KeyFile);

        var code = TokenCommand.Run(["--principal", "a", "--role", "kms.root", "--key-file", KeyFile], _out, _err, _time, _dir.FullName);

        Assert.Equal(0, code);
        Assert.Contains("kms.root is not a built-in role", _err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyValidate_ValidAndInvalid_ReportsEachAndFails()
    {
        var good = Write("good.json", """{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"]}]}""");
        var bad = Write("bad.json", """{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrpyt"]}]}""");

        var code = PolicyValidateCommand.Run([good, bad], TextReader.Null, _out, _err);

        Assert.Equal(1, code);
        Assert.Contains($"{good}: valid (1 statement)", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("statements[0].actions[0]", _err.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyValidate_Stdin_Valid()
    {
        using var stdin = new StringReader("""{"version":"2026-11-30","statements":[{"effect":"Deny","principals":["*"],"actions":["kms:*"]}]}""");

        Assert.Equal(0, PolicyValidateCommand.Run(["-"], stdin, _out, _err));
    }

    [Fact]
    public void PolicyValidate_NoFiles_UsageError()
    {
        Assert.Throws<UsageException>(() => PolicyValidateCommand.Run([], TextReader.Null, _out, _err));
    }

    [Fact]
    public void SimulateRequest_AllOptions_CamelCaseBodyWithoutNulls()
    {
        var parsed = CliArguments.Parse(["--principal", "bob", "--action", "kms:Decrypt", "--role", "kms.crypto", "--key", "k1",
            "--context", "tenant=acme", "--context", "eq=a=b", "--caller-address", "10.0.0.1"],
            "principal", "action", "role", "key", "context", "caller-address");

        var body = PolicySimulateCommand.BuildRequest(parsed);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"principal":"bob","action":"kms:Decrypt","roles":["kms.crypto"],"keyId":"k1","context":{"tenant":"acme","eq":"a=b"},"callerAddress":"10.0.0.1"}
            """), body));
        Assert.False(PolicySimulateCommand.BuildRequest(CliArguments.Parse(["--principal", "p", "--action", "a"], "principal", "action")).ContainsKey("roles"));
    }

    [Fact]
    public void SimulateRequest_ContextWithoutEquals_UsageError()
    {
        var parsed = CliArguments.Parse(["--principal", "p", "--action", "a", "--context", "tenant"], "principal", "action", "context");
        Assert.Throws<UsageException>(() => PolicySimulateCommand.BuildRequest(parsed));
    }

    [Fact]
    public void FormatDecision_DenyAndAllow()
    {
        Assert.Equal(("DENY by DENY_STATEMENT: key policy statement X (Deny)", false),
            PolicySimulateCommand.FormatDecision("""{"allowed":false,"source":"DENY_STATEMENT","reason":"key policy statement X (Deny)"}"""));
        Assert.True(PolicySimulateCommand.FormatDecision("""{"allowed":true,"source":"ROLE","reason":"r"}""").Allowed);
        Assert.Equal("error 403 AccessDenied: no", PolicySimulateCommand.DescribeProblem(403, """{"code":"AccessDenied","detail":"no"}"""));
        Assert.Equal("error 502", PolicySimulateCommand.DescribeProblem(502, "<html>"));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }
}

public sealed class AuditCommandTests
{
    [Fact]
    public void BuildQuery_Filters_EscapedQueryString()
    {
        var parsed = CliArguments.Parse(["--key", "k1", "--principal", "svc a", "--result", "denied"], "key", "principal", "result", "operation", "from");

        Assert.Equal("/api/audit?pageSize=20&keyId=k1&principal=svc%20a&result=denied", AuditCommands.BuildQuery(parsed, 20));
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
