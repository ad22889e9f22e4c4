using Kms.Cli;
using Kms.Cli.Commands;

// The `kms` CLI. Commands: token, policy validate, policy simulate, audit tail, audit verify (see docs/cli.md).
var stdout = Console.Out;
var stderr = Console.Error;
try
{
    return args switch
    {
        ["token", .. var rest] => TokenCommand.Run(rest, stdout, stderr, TimeProvider.System, Environment.CurrentDirectory),
        ["policy", "validate", .. var files] => PolicyValidateCommand.Run(files, Console.In, stdout, stderr),
        ["policy", "simulate", .. var rest] => await PolicySimulateCommand.RunAsync(rest, stdout, stderr, new HttpClientHandler(),
            TimeProvider.System, Environment.CurrentDirectory),
        ["audit", "tail", .. var rest] => await AuditCommands.TailAsync(rest, stdout, stderr, new HttpClientHandler(), TimeProvider.System,
            Environment.CurrentDirectory),
        ["audit", "verify", .. var rest] => await AuditCommands.VerifyAsync(rest, stdout, stderr, new HttpClientHandler(), TimeProvider.System,
            Environment.CurrentDirectory),
        _ => throw new UsageException(args.Length == 0 ? "no command given" : $"unknown command '{string.Join(' ', args.Take(2))}'"),
    };
}
catch (UsageException e)
{
    stderr.WriteLine($"kms: {e.Message}");
    stderr.WriteLine("usage:");
    stderr.WriteLine("  " + TokenCommand.Usage);
    stderr.WriteLine("  " + PolicyValidateCommand.Usage);
    stderr.WriteLine("  " + PolicySimulateCommand.Usage);
    stderr.WriteLine("  " + AuditCommands.TailUsage);
    stderr.WriteLine("  " + AuditCommands.VerifyUsage);
    return 2;
}
catch (Exception e) when (e is CliException or HttpRequestException or TaskCanceledException)
{
    stderr.WriteLine($"kms: {e.Message}");
    return 1;
}
