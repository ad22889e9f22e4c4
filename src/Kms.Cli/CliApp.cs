using Kms.Cli.Commands;

namespace Kms.Cli;

/// <summary>Dispatches a command line to its command and turns failures into a line on stderr and an exit code.</summary>
internal static class CliApp
{
    private static readonly string[] Usages =
    [
        TokenCommand.Usage,
        PolicyValidateCommand.Usage,
        PolicySimulateCommand.Usage,
        AuditCommands.TailUsage,
        AuditCommands.VerifyUsage,
    ];

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Length == 0)
        {
            context.Error.WriteLine("kms: no command given");
            WriteUsage(context.Error, Usages);
            return ExitCodes.Usage;
        }

        if (args is ["help"] || args.Any(a => a is "--help" or "-h"))
        {
            WriteUsage(context.Out, UsagesFor(args));
            return ExitCodes.Success;
        }

        try
        {
            return args switch
            {
                ["token", .. var rest] => TokenCommand.Run(rest, context),
                ["policy", "validate", .. var rest] => PolicyValidateCommand.Run(rest, context),
                ["policy", "simulate", .. var rest] => await PolicySimulateCommand.RunAsync(rest, context),
                ["audit", "tail", .. var rest] => await AuditCommands.TailAsync(rest, context),
                ["audit", "verify", .. var rest] => await AuditCommands.VerifyAsync(rest, context),
                _ => throw new UsageException($"unknown command '{string.Join(' ', args.Take(2))}'"),
            };
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"kms: {e.Message}");
            WriteUsage(context.Error, UsagesFor(args));
            return ExitCodes.Usage;
        }
        catch (CliException e)
        {
            context.Error.WriteLine($"kms: {e.Message}");
            return ExitCodes.Failure;
        }
#pragma warning disable CA1031 // The last resort of a CLI: one line, no stack trace, exit 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            context.Error.WriteLine($"kms: unexpected error ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>The usage of the command named by <paramref name="args"/>, or of all commands.</summary>
    private static string[] UsagesFor(IReadOnlyList<string> args)
    {
        var command = string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(2));
        var matching = Usages.Where(u => command.Length > 0 && (u + " ").StartsWith($"kms {command} ", StringComparison.Ordinal)).ToArray();
        return matching.Length > 0 ? matching : Usages;
    }

    private static void WriteUsage(TextWriter writer, IEnumerable<string> usages)
    {
        writer.WriteLine("usage:");
        foreach (var usage in usages)
        {
            writer.WriteLine("  " + usage);
        }

        writer.WriteLine("exit codes: 0 ok, 1 failed, 2 usage error, 3 denied (policy simulate); see docs/cli.md");
    }
}
