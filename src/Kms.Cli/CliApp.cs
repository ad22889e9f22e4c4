using Kms.Cli.Commands;

namespace Kms.Cli;

/// <summary>Dispatches a command line to its command and turns failures into lines on stderr and an exit code.</summary>
internal static class CliApp
{
    public const string ConnectionHelp =
        "Commands that call the KMS take --endpoint URL (else $KMS_ENDPOINT, else http://127.0.0.1:7071), --token TOKEN (else $KMS_TOKEN, else a local dev token) and --json.";

    public const string ExitCodeHelp =
        "exit codes: 0 ok, 1 failed, 2 usage, 3 denied, 4 not found, 5 conflict/state, 6 unavailable, 7 verification failed, 8 operation failed, 9 operation canceled, 10 still running, 11 drill check failed; see docs/cli.md";

    public static IReadOnlyList<CliCommand> Commands { get; } =
    [
        CliCommand.Sync("token", TokenCommand.Usage, "a JWT of the local development issuer (stdout: only the token)", TokenCommand.Run),
        .. KeysCommands.All,
        .. AliasesCommands.All,
        .. CryptoCommands.All,
        .. SigningCommands.All,
        .. OperationsCommands.All,
        CliCommand.Sync("policy validate", PolicyValidateCommand.Usage, "check key policy files offline, as the server would", PolicyValidateCommand.Run),
        new("policy simulate", PolicySimulateCommand.Usage, "explain whether a principal may do an action (exit 3 when denied)",
            PolicySimulateCommand.RunAsync),
        new("audit tail", AuditCommands.TailUsage, "read audit records (role kms.auditor)", AuditCommands.TailAsync),
        new("audit verify", AuditCommands.VerifyUsage, "verify the audit log's hash chains and checkpoints", AuditCommands.VerifyAsync),
        new("drill", DrillCommand.Usage, "game-day emergency-rotation drill on a canary key of its own (exit 11 when a check fails)", DrillCommand.RunAsync),
    ];

    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        if (args.Length == 0)
        {
            context.Error.WriteLine("kms: no command given");
            WriteUsage(context.Error, Commands);
            return ExitCodes.Usage;
        }

        if (args is ["help", ..] || args.Any(a => a is "--help" or "-h"))
        {
            WriteUsage(context.Out, CommandsFor(args.Where(a => a != "help").ToArray()));
            return ExitCodes.Success;
        }

        try
        {
            var command = Find(args) ?? throw new UsageException($"unknown command '{string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')).Take(3))}'");
            return await command.RunAsync(args[command.Words.Length..], context);
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"kms: {e.Message}");
            WriteUsage(context.Error, CommandsFor(args));
            return ExitCodes.Usage;
        }
        catch (CliException e)
        {
            context.Error.WriteLine($"kms: {e.Message}");
            if (e.Hint is not null)
            {
                context.Error.WriteLine($"hint: {e.Hint}");
            }

            return e.ExitCode;
        }
#pragma warning disable CA1031 // The last resort of a CLI: one line, no stack trace, exit 1.
        catch (Exception e)
#pragma warning restore CA1031
        {
            context.Error.WriteLine($"kms: unexpected error ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>The command whose words start the command line (the longest, so "keys versions list" beats nothing shorter).</summary>
    private static CliCommand? Find(IReadOnlyList<string> args) =>
        Commands.Where(c => c.Words.Length <= args.Count && c.Words.Select((w, i) => args[i] == w).All(m => m))
            .MaxBy(c => c.Words.Length);

    /// <summary>The commands named by the leading words of <paramref name="args"/> ("keys", "keys versions", ...), or all.</summary>
    private static IReadOnlyList<CliCommand> CommandsFor(IReadOnlyList<string> args)
    {
        var words = args.TakeWhile(a => !a.StartsWith('-')).ToArray();
        for (var n = words.Length; n > 0; n--)
        {
            var matching = Commands.Where(c => c.Words.Length >= n && c.Words.Take(n).SequenceEqual(words.Take(n))).ToArray();
            if (matching.Length > 0)
            {
                return matching;
            }
        }

        return Commands;
    }

    private static void WriteUsage(TextWriter writer, IReadOnlyList<CliCommand> commands)
    {
        writer.WriteLine("usage:");
        foreach (var command in commands)
        {
            writer.WriteLine("  " + command.Usage);
            writer.WriteLine("      " + command.Summary);
        }

        writer.WriteLine(ConnectionHelp);
        writer.WriteLine(ExitCodeHelp);
    }
}
