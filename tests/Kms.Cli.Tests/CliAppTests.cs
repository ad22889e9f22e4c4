using Kms.Core.Authorization;

namespace Kms.Cli.Tests;

public sealed class CliAppTests : IDisposable
{
    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task RunAsync_NoArguments_UsageOnStderrExit2()
    {
        var code = await CliApp.RunAsync([], _cli.Context);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", _cli.Out.ToString());
        Assert.Contains("kms token --principal NAME", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_UnknownCommand_UsageErrorExit2()
    {
        var code = await CliApp.RunAsync(["keys", "frobnicate"], _cli.Context);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("kms: unknown command 'keys frobnicate'", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MinutesOutOfRange_Exit2WithThatCommandsUsageOnly()
    {
        var code = await CliApp.RunAsync(["token", "--principal", "a", "--minutes", "0"], _cli.Context);

        Assert.Equal(ExitCodes.Usage, code);
        var error = _cli.Error.ToString();
        Assert.Contains("'--minutes' must be a whole number from 1 to 1440", error, StringComparison.Ordinal);
        Assert.Contains("kms token --principal", error, StringComparison.Ordinal);
        Assert.DoesNotContain("kms policy", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_MissingKeyFile_OneLineOnStderrExit1()
    {
        var missing = Path.Combine(_cli.Directory, "none.pem");

        var code = await CliApp.RunAsync(["token", "--principal", "a", "--role", KmsRoles.Admin, "--key-file", missing], _cli.Context);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal($"kms: dev issuer key not found at {missing}: run infra/local/up.sh first (it creates it){Environment.NewLine}", _cli.Error.ToString());
        Assert.Equal("", _cli.Out.ToString());
    }

    [Fact]
    public async Task RunAsync_Token_PrintsOnlyTheTokenOnStdout()
    {
        var keyFile = _cli.CreateKeyFile();

        var code = await CliApp.RunAsync(["token", "--principal", "alice", "--role", KmsRoles.Crypto, "--key-file", keyFile], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        var lines = _cli.Out.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Equal(3, lines[0].Split('.').Length);
    }

    [Fact]
    public async Task RunAsync_PolicyValidateInvalid_Exit1()
    {
        var file = _cli.WriteFile("p.json", """{"version":"x"}""");

        Assert.Equal(ExitCodes.Failure, await CliApp.RunAsync(["policy", "validate", file], _cli.Context));
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("policy", "simulate", "-h")]
    [InlineData("help")]
    public async Task RunAsync_Help_UsageOnStdoutExit0(params string[] args)
    {
        var code = await CliApp.RunAsync(args, _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("usage:", _cli.Out.ToString(), StringComparison.Ordinal);
        Assert.Equal("", _cli.Error.ToString());
    }
}
