using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kms.Api.Http;

namespace Kms.Cli;

/// <summary>
/// What every command that calls the KMS shares: the connection options, <c>--json</c>, request and answer
/// (de)serialization, and the encryption-context pairs.
/// </summary>
internal static class ApiCommand
{
    public const string JsonFlag = "json";

    /// <summary>Answers are read leniently (a newer server may add fields); requests are written as the API expects them.</summary>
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);

    // Relaxed escaping: base64 '+' and non-ASCII descriptions print as themselves; the output is still valid JSON.
    private static readonly JsonSerializerOptions PrettyOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Parses a command line taking the connection options, <c>--json</c> and the command's own.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args, string[] options, params string[] flags) =>
        CliArguments.Parse(args, [.. KmsConnection.Options, .. options], [JsonFlag, .. flags]);

    public static string Serialize<T>(T request) => JsonSerializer.Serialize(request, KmsJson.Options);

    /// <summary>The answer as the contract type; an answer that is not one fails clearly rather than printing nonsense.</summary>
    public static T Read<T>(KmsResponse response)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(response.Body, ReadOptions)
                   ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new CliException($"the KMS answered {response.Status} with something other than {typeof(T).Name}", ExitCodes.Failure,
                "is --endpoint (or KMS_ENDPOINT) a KMS of the same version?");
        }
    }

    /// <summary><c>--json</c>: the API's JSON, indented. Property names and values are the API's own, so scripts can rely on docs/api.md.</summary>
    public static void WriteJson(CliContext context, string body) => context.Out.WriteLine(Indent(JsonNode.Parse(body)));

    public static void WriteJson(CliContext context, JsonNode node) => context.Out.WriteLine(Indent(node));

    /// <summary>Prints the answer as JSON when <c>--json</c> is given, else the human lines.</summary>
    public static void Write(CliContext context, CliArguments parsed, KmsResponse response, Func<IEnumerable<string>> human)
    {
        if (parsed.Flag(JsonFlag))
        {
            WriteJson(context, response.Body);
        }
        else
        {
            Output.TextTable.Write(context.Out, human());
        }
    }

    /// <summary><c>--context k=v</c> pairs (repeatable) as the encryption context, or null when none are given.</summary>
    public static Dictionary<string, string>? EncryptionContext(CliArguments parsed)
    {
        Dictionary<string, string>? context = null;
        foreach (var pair in parsed.All("context"))
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0)
            {
                throw new UsageException($"'--context {pair}' must be key=value");
            }

            context ??= new(StringComparer.Ordinal);
            if (!context.TryAdd(pair[..at], pair[(at + 1)..]))
            {
                throw new UsageException($"context key '{pair[..at]}' is given more than once");
            }
        }

        return context;
    }

    public static string Escape(string segment) => Uri.EscapeDataString(segment);

    private static string Indent(JsonNode? node) => node?.ToJsonString(PrettyOptions) ?? "null";
}
