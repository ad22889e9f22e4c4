using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Cli.Output;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary>
/// <c>kms operations ...</c>: start long-running operations, read them, watch them to their end, approve and steer
/// them (role kms.admin by default; kms.approver for approve).
/// </summary>
internal static class OperationsCommands
{
    private const string SourceHelp = "SOURCE: type=table,connection=NAME,table=T,column=C[,filter=F,contextColumn=X] | type=blob,connection=NAME,container=C[,prefix=P,metadataName=M] | a JSON object";

    public static IEnumerable<CliCommand> All =>
    [
        new("operations start-rotation", "kms operations start-rotation KEYID [--source SOURCE ...] [--disable-old-versions] [--watch] [--json]",
            "start a staged rotation (new version, canary, promote), then a rewrap campaign per --source; " + SourceHelp, StartRotationAsync),
        new("operations start-rewrap", "kms operations start-rewrap KEYID --source SOURCE [--from-version N ...] [--disable-old-versions] [--watch] [--json]",
            "start a rewrap campaign: re-encrypt stored ciphertexts to the key's primary version", StartRewrapAsync),
        new("operations start-revocation", "kms operations start-revocation KEYID --version N [--version N ...] --reason TEXT [--source SOURCE ...] [--watch] [--json]",
            "emergency revocation: revoke versions now, replace the primary, rewrap sources, destroy after approvals", StartRevocationAsync),
        new("operations start-root-rotation", "kms operations start-root-rotation [--watch] [--json]",
            "rotate the HSM root key: rewrap every stored key to a new root, verify, retire the old one", StartRootRotationAsync),
        new("operations list", "kms operations list [--type rotation|rewrap|revocation|deletion|rootrotation] [--key KEYID] [--state STATE] [--json]",
            "list operations (all pages; --key needs --type)", ListAsync),
        new("operations show", "kms operations show ID [--json]", "an operation's state, step, checkpoints, progress and approvals", ShowAsync),
        new("operations watch", "kms operations watch ID [--interval SECONDS] [--timeout SECONDS] [--json]",
            "follow an operation to its end (a progress bar on a terminal, a line per change otherwise); exit 0 COMPLETED, 8 FAILED, 9 CANCELED, 10 timeout",
            WatchAsync),
        new("operations approve", "kms operations approve ID [--comment TEXT] [--json]",
            "approve the destruction an operation waits for (role kms.approver; not the requester)", ApproveAsync),
        new("operations pause", "kms operations pause ID [--json]", "pause a running operation", (a, c) => ControlAsync(a, c, "pause")),
        new("operations resume", "kms operations resume ID [--json]", "resume a paused operation", (a, c) => ControlAsync(a, c, "resume")),
        new("operations cancel", "kms operations cancel ID [--json]", "cancel an operation where it stands (a deletion: `kms keys cancel-deletion`)",
            (a, c) => ControlAsync(a, c, "cancel")),
    ];

    private static readonly string[] WatchOptions = ["interval", "timeout"];

    private static async Task<int> StartRotationAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["source", .. WatchOptions], "disable-old-versions", "watch");
        var keyId = parsed.Positionals("KEYID")[0];
        var sources = Sources(parsed);
        var request = sources.Length == 0 && !parsed.Flag("disable-old-versions")
            ? new RotationRequest()
            : new RotationRequest(new RotationRewrapBody(sources, parsed.Flag("disable-old-versions") ? true : null));
        return await StartAsync(parsed, context, $"api/keys/{ApiCommand.Escape(keyId)}/rotations", ApiCommand.Serialize(request), keyId);
    }

    private static async Task<int> StartRewrapAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["source", "from-version", .. WatchOptions], "disable-old-versions", "watch");
        var keyId = parsed.Positionals("KEYID")[0];
        var sources = Sources(parsed);
        if (sources.Length != 1)
        {
            throw new UsageException("give exactly one '--source'");
        }

        var request = new RewrapJobRequest(keyId, Versions(parsed, "from-version") is { Length: > 0 } from ? from : null, sources[0],
            parsed.Flag("disable-old-versions") ? true : null);
        return await StartAsync(parsed, context, "api/rewrap-jobs", ApiCommand.Serialize(request), keyId);
    }

    private static async Task<int> StartRevocationAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["version", "reason", "source", .. WatchOptions], "watch");
        var keyId = parsed.Positionals("KEYID")[0];
        var versions = Versions(parsed, "version");
        if (versions.Length == 0)
        {
            throw new UsageException("'--version' is required (repeat it to revoke several)");
        }

        var sources = Sources(parsed);
        var request = new RevocationRequest(versions, parsed.Required("reason"), sources.Length > 0 ? sources : null);
        return await StartAsync(parsed, context, $"api/keys/{ApiCommand.Escape(keyId)}/revocations", ApiCommand.Serialize(request), keyId);
    }

    private static async Task<int> StartRootRotationAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, WatchOptions, "watch");
        parsed.NoPositional();
        return await StartAsync(parsed, context, "api/hsm/root-rotations", "{}", null);
    }

    /// <summary>Starts the operation and shows it, or with --watch follows it to its end.</summary>
    private static async Task<int> StartAsync(CliArguments parsed, CliContext context, string path, string body, string? keyId)
    {
        if (!parsed.Flag("watch") && (parsed.Single("interval") is not null || parsed.Single("timeout") is not null))
        {
            throw new UsageException("'--interval' and '--timeout' apply with '--watch'");
        }

        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync(path, body)).EnsureSuccess(keyId);
        var started = ApiCommand.Read<OperationResponse>(response);
        if (!parsed.Flag("watch"))
        {
            ApiCommand.Write(context, parsed, response, () => OperationFields(started));
            return ExitCodes.Success;
        }

        // The id goes to stderr so it is not lost when the watch is interrupted (stdout may be parsed as JSON).
        context.Error.WriteLine($"started {started.OperationId}");
        return await WatchAsync(connection, parsed, context, started.OperationId);
    }

    private static async Task<int> ListAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["type", "key", "state"]);
        parsed.NoPositional();
        var query = new StringBuilder("api/operations");
        var separator = '?';
        foreach (var (option, parameter) in new[] { ("type", "type"), ("key", "keyId"), ("state", "state") })
        {
            if (parsed.Single(option) is { } value)
            {
                query.Append(separator).Append(parameter).Append('=').Append(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var operations = await Paging.AllAsync(connection, query.ToString(), "operations", parsed.Single("key"));
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, operations.Json);
            return ExitCodes.Success;
        }

        TextTable.Write(context.Out, TextTable.Rows(["operation id", "type", "key id", "state", "step", "created", "completed"],
            operations.Items<OperationResponse>().Select(o => new[]
            {
                o.OperationId, o.Type, o.KeyId, o.State, o.Step, Formats.Time(o.CreatedAt), Formats.Time(o.CompletedAt),
            })));
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var id = parsed.Positionals("ID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.GetAsync($"api/operations/{ApiCommand.Escape(id)}")).EnsureSuccess();
        ApiCommand.Write(context, parsed, response, () => OperationFields(ApiCommand.Read<OperationResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> WatchAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, WatchOptions);
        var id = parsed.Positionals("ID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        return await WatchAsync(connection, parsed, context, id);
    }

    /// <summary>
    /// Polls the operation until it ends (or --timeout passes). On a terminal one line is redrawn with a bar; otherwise a
    /// line is printed whenever the status text changes, so logs stay readable. The exit code follows the final state.
    /// </summary>
    private static async Task<int> WatchAsync(KmsConnection connection, CliArguments parsed, CliContext context, string id)
    {
        var interval = Seconds(parsed, "interval", 0.1, 60) ?? TimeSpan.FromSeconds(1);
        var timeout = Seconds(parsed, "timeout", 1, 7 * 24 * 3600);
        var json = parsed.Flag(ApiCommand.JsonFlag);
        // With --json stdout carries only the final document; the progress goes to stderr.
        var progress = json ? context.Error : context.Out;
        var live = context.OutputIsTerminal && !json;
        var started = context.Time.GetTimestamp();
        string? lastText = null;
        var lastLength = 0;
        for (var tick = 0; ; tick++)
        {
            var response = (await connection.GetAsync($"api/operations/{ApiCommand.Escape(id)}")).EnsureSuccess();
            var operation = ApiCommand.Read<OperationResponse>(response);
            var text = OperationProgress.Describe(operation);
            var final = OperationProgress.IsFinal(operation.State);
            var timedOut = !final && timeout is { } limit && context.Time.GetElapsedTime(started) >= limit;
            if (live)
            {
                var line = OperationProgress.Bar(operation, tick) + text;
                if (context.TerminalWidth > 1 && line.Length >= context.TerminalWidth)
                {
                    line = line[..(context.TerminalWidth - 1)];
                }

                progress.Write("\r" + line.PadRight(lastLength));
                lastLength = line.Length;
                if (final || timedOut)
                {
                    progress.WriteLine();
                }
            }
            else if (text != lastText)
            {
                progress.WriteLine($"{Formats.Time(context.Time.GetUtcNow())}  {text}");
            }

            lastText = text;
            if (final || timedOut)
            {
                if (json)
                {
                    ApiCommand.WriteJson(context, response.Body);
                }
                else
                {
                    context.Out.WriteLine(Outcome(operation, timedOut));
                }

                return OperationProgress.ExitCodeOf(operation.State);
            }

            await Task.Delay(interval, context.Time);
        }
    }

    private static string Outcome(OperationResponse operation, bool timedOut)
    {
        var checkpoints = operation.Checkpoints.Count > 0 ? $" (checkpoints: {string.Join(", ", operation.Checkpoints)})" : "";
        var error = string.IsNullOrEmpty(operation.Error) ? "" : $": {operation.Error}";
        return timedOut
            ? $"{operation.OperationId} still {operation.State} at step {operation.Step}; watch it again with `kms operations watch {operation.OperationId}`"
            : $"{operation.OperationId} {operation.State}{checkpoints}{error}";
    }

    private static async Task<int> ApproveAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["comment"]);
        var id = parsed.Positionals("ID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Approver);
        var response = (await connection.PostJsonAsync($"api/operations/{ApiCommand.Escape(id)}/approvals",
            ApiCommand.Serialize(new OperationApprovalRequest(parsed.Single("comment"))))).EnsureSuccess();
        ApiCommand.Write(context, parsed, response, () => OperationFields(ApiCommand.Read<OperationResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> ControlAsync(IReadOnlyList<string> args, CliContext context, string action)
    {
        var parsed = ApiCommand.Parse(args, []);
        var id = parsed.Positionals("ID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync($"api/operations/{ApiCommand.Escape(id)}/{action}", "{}")).EnsureSuccess();
        ApiCommand.Write(context, parsed, response, () => OperationFields(ApiCommand.Read<OperationResponse>(response)));
        return ExitCodes.Success;
    }

    internal static IEnumerable<string> OperationFields(OperationResponse o) => TextTable.Fields(
    [
        ("operationId", o.OperationId), ("type", o.Type), ("keyId", o.KeyId), ("state", o.State), ("step", o.Step),
        ("checkpoints", Formats.List(o.Checkpoints)), ("version", Formats.Number(o.Version)), ("error", o.Error),
        ("progress", o.Progress is { } p
            ? FormattableString.Invariant($"{p.Done} rewrapped, {p.Skipped} skipped, {p.Failed} failed of {(p.Total is { } t ? t.ToString(CultureInfo.InvariantCulture) : "?")}, pass {p.Pass}")
            : null),
        ("approvals", o.Approvals is { } a
            ? FormattableString.Invariant($"{a.Received.Count}/{a.Required} {a.State}, requested by {a.RequestedBy}")
              + (a.Received.Count > 0 ? " (" + string.Join(", ", a.Received.Select(r => r.Principal)) + ")" : "")
              + (a.ExpiresAt is { } e ? ", expires " + Formats.Time(e) : "")
            : null),
        ("timeToRevoke", o.TimeToRevoke is { } ttr
            ? FormattableString.Invariant($"revoked {ttr.RevokedMs} ms") + (ttr.PublishedMs is { } ms ? FormattableString.Invariant($", published {ms} ms") : "")
            : null),
        ("relatedOperations", Formats.List(o.RelatedOperations)),
        ("createdAt", Formats.Time(o.CreatedAt)), ("lastUpdatedAt", Formats.Time(o.LastUpdatedAt)), ("completedAt", Formats.Time(o.CompletedAt)),
    ]);

    /// <summary>Each --source: a JSON object, or "k=v,k=v" with the API's field names (type, connection, table, column, ...).</summary>
    internal static RewrapSourceBody[] Sources(CliArguments parsed) => parsed.All("source").Select(ParseSource).ToArray();

    internal static RewrapSourceBody ParseSource(string text)
    {
        JsonObject source;
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                source = JsonNode.Parse(text) as JsonObject ?? throw new UsageException($"'--source {text}' is not a JSON object");
            }
            catch (JsonException e)
            {
                throw new UsageException($"'--source' is not valid JSON: {e.Message}");
            }
        }
        else
        {
            source = [];
            foreach (var pair in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0 || source.ContainsKey(pair[..at]))
                {
                    throw new UsageException($"'--source' part '{pair}' must be name=value, each name once ({SourceHelp})");
                }

                source[pair[..at]] = pair[(at + 1)..];
            }
        }

        try
        {
            // The API's own options refuse unknown fields, so a misspelt field is a usage error here, not a silent default there.
            return source.Deserialize<RewrapSourceBody>(KmsJson.Options) ?? throw new UsageException("'--source' is empty");
        }
        catch (JsonException e)
        {
            throw new UsageException($"'--source {text}': {e.Message} ({SourceHelp})");
        }
    }

    private static int[] Versions(CliArguments parsed, string option) =>
        parsed.All(option).Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new UsageException($"'--{option} {v}' must be a version number (1, 2, ...)")).ToArray();

    private static TimeSpan? Seconds(CliArguments parsed, string option, double min, double max) =>
        parsed.Single(option) is { } text
            ? double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var s) && s >= min && s <= max
                ? TimeSpan.FromSeconds(s)
                : throw new UsageException(FormattableString.Invariant($"'--{option}' must be a number of seconds from {min} to {max}"))
            : null;
}
