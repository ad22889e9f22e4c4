using System.Globalization;
using Kms.Cli.Drill;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms drill</c>: a game-day emergency-rotation drill on a canary key of its own (docs/cli.md#drill).</summary>
internal static class DrillCommand
{
    public const string Usage =
        "kms drill (--listen URL | --no-events) [--items N] [--event-timeout SECONDS] [--timeout SECONDS] [--connection NAME] [--approver-token TOKEN ...] [--waiting-days N] [--keep] [--json]";

    /// <summary>The connection string of the sample table's storage, as the CLI reaches it (never an option: it holds a secret).</summary>
    public const string StorageVariable = "KMS_DRILL_STORAGE";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["items", "listen", "event-timeout", "timeout", "connection", "approver-token", "waiting-days"], "no-events", "keep");
        parsed.NoPositional();
        var options = Options(parsed, context);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin, KmsRoles.Crypto);
        var report = await new DrillRunner(connection, context, options).RunAsync(CancellationToken.None);
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            context.Out.WriteLine(report.ToJson());
        }
        else
        {
            Output.TextTable.Write(context.Out, report.ToLines());
        }

        return report.Passed ? ExitCodes.Success : ExitCodes.DrillFailed;
    }

    internal static DrillOptions Options(CliArguments parsed, CliContext context)
    {
        var listen = parsed.Single("listen");
        if ((listen is null) == !parsed.Flag("no-events"))
        {
            throw new UsageException("give --listen URL (a webhook URL a subscription of the KMS delivers to) or --no-events, not both");
        }

        var name = parsed.Single("connection") ?? "local";
        var storage = context.Env(StorageVariable) ?? context.Env($"Kms__Rewrap__Connections__{name}")
            ?? throw new UsageException(
                $"set {StorageVariable} to the connection string of the storage the KMS knows as rewrap connection '{name}' (the drill's samples go in a table there)");
        return new DrillOptions(
            parsed.Int("items", 1, 1000) ?? 20,
            listen is null ? null : ListenUrl(listen),
            Seconds(parsed, "event-timeout", 60),
            Seconds(parsed, "timeout", 300),
            name,
            storage,
            parsed.All("approver-token"),
            parsed.Int("waiting-days", 0, 30) ?? 7,
            parsed.Flag("keep"));
    }

    /// <summary>A plain-http loopback URL: the drill is its own subscriber on this machine, nothing is exposed beyond it.</summary>
    private static Uri ListenUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme == "http" && url.IsLoopback && !url.IsDefaultPort
            ? url
            : throw new UsageException($"'--listen {text}' must be an http URL on a loopback address with a port, e.g. http://127.0.0.1:7090/drill-events");

    private static TimeSpan Seconds(CliArguments parsed, string option, int fallback) =>
        TimeSpan.FromSeconds(parsed.Int(option, 1, 3600) ?? fallback);
}
