namespace Kms.Cli.Tests;

public sealed class CliArgumentsTests
{
    [Fact]
    public void Parse_RepeatedOptionAndPositionals_KeepsOrder()
    {
        var parsed = CliArguments.Parse(["a.json", "--role", "r1", "-", "--role", "r2"], "role");

        Assert.Equal(["r1", "r2"], parsed.All("role"));
        Assert.Equal(["a.json", "-"], parsed.Positional);
    }

    [Fact]
    public void Parse_EqualsForm_SplitsAtFirstEquals()
    {
        var parsed = CliArguments.Parse(["--context=tenant=acme", "--minutes=5"], "context", "minutes");

        Assert.Equal("tenant=acme", parsed.Single("context"));
        Assert.Equal("5", parsed.Single("minutes"));
    }

    [Fact]
    public void Parse_ValueStartingWithSingleDash_IsAValue()
    {
        Assert.Equal("-5", CliArguments.Parse(["--minutes", "-5"], "minutes").Single("minutes"));
    }

    [Theory]
    [InlineData("--principal")]
    [InlineData("--principal", "--role", "x")]
    [InlineData("--principal", "")]
    [InlineData("--principal=")]
    [InlineData("--principal", "  ")]
    public void Parse_MissingOrEmptyValue_UsageError(params string[] args)
    {
        var e = Assert.Throws<UsageException>(() => CliArguments.Parse(args, "principal", "role"));

        Assert.Contains("'--principal' needs", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownOption_UsageErrorNamesIt()
    {
        var e = Assert.Throws<UsageException>(() => CliArguments.Parse(["--princpal", "a"], "principal"));

        Assert.Equal("unknown option '--princpal'", e.Message);
    }

    [Fact]
    public void Single_GivenTwice_UsageError()
    {
        var parsed = CliArguments.Parse(["--principal", "a", "--principal", "b"], "principal");

        Assert.Throws<UsageException>(() => parsed.Single("principal"));
    }

    [Fact]
    public void Required_Absent_UsageError()
    {
        Assert.Equal("'--principal' is required", Assert.Throws<UsageException>(() => CliArguments.Parse([], "principal").Required("principal")).Message);
    }

    [Fact]
    public void NoPositional_StrayArgument_UsageError()
    {
        Assert.Throws<UsageException>(() => CliArguments.Parse(["--principal", "a", "extra"], "principal").NoPositional());
    }

    [Fact]
    public void Parse_Flag_SetWithoutConsumingNextArgument()
    {
        var parsed = CliArguments.Parse(["--json", "k1"], ["key"], ["json"]);

        Assert.True(parsed.Flag("json"));
        Assert.Equal(["k1"], parsed.Positional);
    }

    [Fact]
    public void Parse_FlagWithValue_UsageError()
    {
        Assert.Throws<UsageException>(() => CliArguments.Parse(["--json=yes"], [], ["json"]));
    }

    [Fact]
    public void Positionals_MissingOrExtra_UsageErrorNamesIt()
    {
        Assert.Equal("VERSION is required", Assert.Throws<UsageException>(() => CliArguments.Parse(["k1"]).Positionals("KEYID", "VERSION")).Message);
        Assert.Equal("unexpected argument 'x'", Assert.Throws<UsageException>(() => CliArguments.Parse(["k1", "x"]).Positionals("KEYID")).Message);
    }
}
