using System.Globalization;
using System.Text;
using System.Text.Json;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms audit tail</c> and <c>kms audit verify</c> (role kms.auditor).</summary>
internal static class AuditCommands
{
    public const string TailUsage = "kms audit tail [--key KEYID] [--principal P] [--operation OP] [--result success|denied|failure] [--from ISO] [--limit N] [--json] [--endpoint URL] [--token TOKEN]";
    public const string VerifyUsage = "kms audit verify [--json] [--endpoint URL] [--token TOKEN]";

    public static async Task<int> TailAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "principal", "operation", "result", "from", "limit"]);
        parsed.NoPositional();
        var limit = parsed.Single("limit") is { } l
            ? int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000 ? n : throw new UsageException("'--limit' must be 1 to 1000")
            : 50;
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Auditor);
        // Filters are applied inside stored blocks, so a page can be short: follow the tokens until the limit.
        var records = await Paging.AllAsync(connection, BuildQuery(parsed, limit), "records", parsed.Single("key"), limit);
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, records.Json);
            return ExitCodes.Success;
        }

        Output.TextTable.Write(context.Out, FormatRecords(records.Json.ToJsonString()));
        return ExitCodes.Success;
    }

    public static async Task<int> VerifyAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = CliArguments.Parse(args, KmsConnection.Options);
        parsed.NoPositional();
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Auditor);
        var response = (await connection.PostJsonAsync("api/audit/verify", "{}")).EnsureSuccess();

        var (lines, valid) = FormatVerification(response.Body);
        foreach (var line in lines)
        {
            (valid ? context.Out : context.Error).WriteLine(line);
        }

        return valid ? ExitCodes.Success : ExitCodes.Failure;
    }

    internal static string BuildQuery(CliArguments parsed, int limit)
    {
        var query = new StringBuilder("api/audit?pageSize=").Append(limit.ToString(CultureInfo.InvariantCulture));
        foreach (var (option, parameter) in new[] { ("key", "keyId"), ("principal", "principal"), ("operation", "operation"), ("result", "result"), ("from", "from") })
        {
            if (parsed.Single(option) is { } value)
            {
                query.Append('&').Append(parameter).Append('=').Append(Uri.EscapeDataString(value));
            }
        }

        return query.ToString();
    }

    /// <summary>One line per record: time, principal, operation, key and version, status and code, request id.</summary>
    internal static IEnumerable<string> FormatRecords(string json)
    {
        using var document = JsonDocument.Parse(json);
        foreach (var r in document.RootElement.GetProperty("records").EnumerateArray())
        {
            var key = r.TryGetProperty("keyId", out var k) ? k.GetString() : "-";
            var version = r.TryGetProperty("keyVersion", out var v) ? "/v" + v.GetInt32().ToString(CultureInfo.InvariantCulture) : "";
            var code = r.TryGetProperty("errorCode", out var c) ? " " + c.GetString() : "";
            var principal = r.TryGetProperty("principal", out var p) ? p.GetString() : "(anonymous)";
            yield return FormattableString.Invariant(
                $"{r.GetProperty("time").GetDateTimeOffset():u} {principal} {r.GetProperty("operation").GetString()} {key}{version} -> {r.GetProperty("status").GetInt32()}{code} [{r.GetProperty("requestId").GetString()}]");
        }
    }

    internal static (IReadOnlyList<string> Lines, bool Valid) FormatVerification(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var valid = root.GetProperty("valid").GetBoolean();
        var lines = new List<string>
        {
            FormattableString.Invariant($"{(valid ? "valid" : "BROKEN")}: {root.GetProperty("records").GetInt64()} records in {root.GetProperty("chains").GetInt32()} chains"),
        };
        lines.AddRange(root.GetProperty("breaks").EnumerateArray().Select(b =>
            FormattableString.Invariant($"  chain {b.GetProperty("chainId").GetString()} at record {b.GetProperty("sequence").GetInt64()}: {b.GetProperty("problem").GetString()}")));
        return (lines, valid);
    }
}
