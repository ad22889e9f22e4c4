using Kms.Cli.Commands;
using Kms.Core.Authorization;

namespace Kms.Cli.Tests.Commands;

public sealed class PolicyValidateCommandTests : IDisposable
{
    private const string Valid = $$"""
        {"version":"{{KeyPolicy.CurrentVersion}}","statements":[
          {"sid":"AcmeOnly","effect":"Allow","principals":["svc-acme"],"actions":["kms:Decrypt"],"conditions":{"contextKeyEquals":{"tenant":"acme"} } },
          {"effect":"Deny","principals":["*"],"actions":["kms:ScheduleKeyDeletion"]}]}
        """;

    private const string MisspelledAction = $$"""
        {"version":"{{KeyPolicy.CurrentVersion}}","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt","kms:Encrpyt"]}]}
        """;

    private readonly TestCli _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Run_ValidFile_PrintsStatementCountAndSucceeds()
    {
        var file = _cli.WriteFile("good.json", Valid);

        var code = PolicyValidateCommand.Run([file], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal($"{file}: valid (2 statements){Environment.NewLine}", _cli.Out.ToString());
        Assert.Equal("", _cli.Error.ToString());
    }

    [Fact]
    public void Run_InvalidFile_MessageNamesJsonPathAndFails()
    {
        var file = _cli.WriteFile("bad.json", MisspelledAction);

        var code = PolicyValidateCommand.Run([file], _cli.Context);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal("", _cli.Out.ToString());
        Assert.StartsWith($"{file}: invalid: statements[0].actions[1]: unknown action 'kms:Encrpyt'", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_NotJson_ReportsInvalid()
    {
        var file = _cli.WriteFile("broken.json", "{\"version\":");

        Assert.Equal(ExitCodes.Failure, PolicyValidateCommand.Run([file], _cli.Context));
        Assert.Contains($"{file}: invalid:", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SeveralFilesOneInvalid_ReportsEveryFileAndFails()
    {
        var first = _cli.WriteFile("a.json", Valid);
        var bad = _cli.WriteFile("b.json", MisspelledAction);
        var last = _cli.WriteFile("c.json", Valid);

        var code = PolicyValidateCommand.Run([first, bad, last], _cli.Context);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal([$"{first}: valid (2 statements)", $"{last}: valid (2 statements)"], Lines(_cli.Out));
        Assert.Single(Lines(_cli.Error), l => l.StartsWith($"{bad}: invalid: statements[0].actions[1]", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_RelativePath_ResolvedFromCurrentDirectory()
    {
        _cli.WriteFile("policies/one.json", Valid);

        Assert.Equal(ExitCodes.Success, PolicyValidateCommand.Run(["policies/one.json"], _cli.Context));
        Assert.StartsWith("policies/one.json: valid", _cli.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_Stdin_ValidatesStandardInput()
    {
        _cli.In = new StringReader($$"""{"version":"{{KeyPolicy.CurrentVersion}}","statements":[{"effect":"Deny","principals":["*"],"actions":["kms:*"]}]}""");

        var code = PolicyValidateCommand.Run(["-"], _cli.Context);

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal($"-: valid (1 statement){Environment.NewLine}", _cli.Out.ToString());
    }

    [Fact]
    public void Run_StdinInvalid_Fails()
    {
        _cli.In = new StringReader("""{"version":"1999-01-01","statements":[]}""");

        Assert.Equal(ExitCodes.Failure, PolicyValidateCommand.Run(["-"], _cli.Context));
        Assert.StartsWith("-: invalid: version", _cli.Error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingFileAndDirectory_ReportedAsUnreadable()
    {
        var good = _cli.WriteFile("good.json", Valid);

        var code = PolicyValidateCommand.Run(["missing.json", _cli.Directory, good], _cli.Context);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.Equal(["missing.json: cannot read", $"{_cli.Directory}: cannot read"], Lines(_cli.Error).Select(l => l[..l.IndexOf(": cannot read", StringComparison.Ordinal)] + ": cannot read"));
        Assert.Equal([$"{good}: valid (2 statements)"], Lines(_cli.Out));
    }

    [Fact]
    public void Run_NoFiles_UsageError()
    {
        Assert.Throws<UsageException>(() => PolicyValidateCommand.Run([], _cli.Context));
    }

    [Fact]
    public void Run_StdinTwice_UsageError()
    {
        Assert.Throws<UsageException>(() => PolicyValidateCommand.Run(["-", "-"], _cli.Context));
    }

    [Fact]
    public void Run_UnknownOption_UsageError()
    {
        var file = _cli.WriteFile("good.json", Valid);

        Assert.Throws<UsageException>(() => PolicyValidateCommand.Run(["--strict", file], _cli.Context));
    }

    private static string[] Lines(StringWriter writer) => writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
