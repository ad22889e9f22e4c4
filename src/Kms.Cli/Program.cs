using Kms.Cli;

// The `kms` CLI (see docs/cli.md). Everything but the console and the process lives in CliApp so tests run it in-process.
using var handler = new HttpClientHandler();
var context = new CliContext(Console.In, Console.Out, Console.Error, TimeProvider.System, Environment.CurrentDirectory,
    Environment.GetEnvironmentVariable, handler);
return await CliApp.RunAsync(args, context);
