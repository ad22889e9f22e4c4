using System.Text.Json.Nodes;
using Kms.Cli.Commands;

namespace Kms.Cli.Tests.Commands;

public sealed class PolicySimulateCommandTests
{
    private static readonly string[] Options = ["principal", "action", "role", "key", "context", "caller-address"];

    [Fact]
    public void BuildRequest_AllOptions_CamelCaseBody()
    {
        var parsed = CliArguments.Parse(["--principal", "bob", "--action", "kms:Decrypt", "--role", "kms.crypto", "--role", "kms.auditor", "--key", "k1",
            "--context", "tenant=acme", "--context", "eq=a=b", "--caller-address", "10.0.0.1"], Options);

        var body = PolicySimulateCommand.BuildRequest(parsed);

        AssertJson("""
            {"principal":"bob","action":"kms:Decrypt","roles":["kms.crypto","kms.auditor"],"keyId":"k1","context":{"tenant":"acme","eq":"a=b"},"callerAddress":"10.0.0.1"}
            """, body);
    }

    [Fact]
    public void BuildRequest_OnlyRequired_OmitsEverythingElse()
    {
        var body = PolicySimulateCommand.BuildRequest(CliArguments.Parse(["--principal", "p", "--action", "kms:Encrypt"], Options));

        AssertJson("""{"principal":"p","action":"kms:Encrypt"}""", body);
    }

    [Fact]
    public void BuildRequest_EmptyContextValue_Kept()
    {
        var body = PolicySimulateCommand.BuildRequest(CliArguments.Parse(["--principal", "p", "--action", "a", "--context", "purpose="], Options));

        AssertJson("""{"principal":"p","action":"a","context":{"purpose":""}}""", body);
    }

    [Theory]
    [InlineData("tenant")]
    [InlineData("=acme")]
    public void BuildRequest_ContextNotKeyValue_UsageError(string pair)
    {
        var parsed = CliArguments.Parse(["--principal", "p", "--action", "a", "--context", pair], Options);

        Assert.Throws<UsageException>(() => PolicySimulateCommand.BuildRequest(parsed));
    }

    [Fact]
    public void BuildRequest_ContextKeyTwice_UsageError()
    {
        var parsed = CliArguments.Parse(["--principal", "p", "--action", "a", "--context", "t=1", "--context", "t=2"], Options);

        Assert.Throws<UsageException>(() => PolicySimulateCommand.BuildRequest(parsed));
    }

    [Theory]
    [InlineData("--principal", "p")]
    [InlineData("--action", "kms:Encrypt")]
    public void BuildRequest_MissingPrincipalOrAction_UsageError(string option, string value)
    {
        var e = Assert.Throws<UsageException>(() => PolicySimulateCommand.BuildRequest(CliArguments.Parse([option, value], Options)));

        Assert.EndsWith("is required", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FormatDecision_Allowed_AllowLineAndTrue()
    {
        var (line, allowed) = PolicySimulateCommand.FormatDecision("""{"allowed":true,"source":"ROLE","reason":"role kms.crypto (token, scope *)"}""");

        Assert.Equal("ALLOW by ROLE: role kms.crypto (token, scope *)", line);
        Assert.True(allowed);
    }

    [Fact]
    public void FormatDecision_Denied_DenyLineAndFalse()
    {
        var (line, allowed) = PolicySimulateCommand.FormatDecision("""{"allowed":false,"source":"DENY_STATEMENT","reason":"key policy statement X (Deny)"}""");

        Assert.Equal("DENY by DENY_STATEMENT: key policy statement X (Deny)", line);
        Assert.False(allowed);
    }

    [Theory]
    [InlineData("<html>")]
    [InlineData("""{"source":"ROLE","reason":"r"}""")]
    [InlineData("""{"allowed":true,"source":null,"reason":"r"}""")]
    public void FormatDecision_NotASimulationResult_CliError(string body)
    {
        Assert.Throws<CliException>(() => PolicySimulateCommand.FormatDecision(body));
    }

    [Fact]
    public async Task RunAsync_UnknownOption_UsageErrorBeforeAnyRequest()
    {
        using var cli = new TestCli();

        await Assert.ThrowsAsync<UsageException>(() => PolicySimulateCommand.RunAsync(["--principal", "p", "--action", "a", "--rol", "x"], cli.Context));
    }

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), actual);
}
