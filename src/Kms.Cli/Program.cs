using Kms.Cli;

// The `kms` CLI (see docs/cli.md). Everything but the console and the process lives in CliApp so tests run it in-process.
using var handler = new HttpClientHandler();
using var standardInput = Console.OpenStandardInput();
using var standardOutput = Console.OpenStandardOutput();
var context = new CliContext(Console.In, Console.Out, Console.Error, TimeProvider.System, Environment.CurrentDirectory,
    Environment.GetEnvironmentVariable, handler)
{
    StandardInput = standardInput,
    StandardOutput = standardOutput,
    OutputIsTerminal = !Console.IsOutputRedirected,
    TerminalWidth = TerminalWidth(),
};
return await CliApp.RunAsync(args, context);

static int TerminalWidth()
{
    try
    {
        return Console.IsOutputRedirected ? 0 : Console.WindowWidth;
    }
    catch (IOException)
    {
        return 0;
    }
}
