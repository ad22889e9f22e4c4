using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary>
/// <c>kms policy simulate --principal P --action A [...]</c>: asks the KMS whether P may do A and which role
/// or statement decides. Exit 0 when allowed, 3 when denied.
/// </summary>
internal static class PolicySimulateCommand
{
    public const int DeniedExitCode = 3;
    public const string Usage = "kms policy simulate --principal P --action A [--role R ...] [--key KEYID] [--context k=v ...] [--caller-address IP] [--endpoint URL] [--token TOKEN]";

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter stdout, TextWriter stderr, HttpMessageHandler handler,
        TimeProvider time, string currentDirectory)
    {
        var parsed = CliArguments.Parse(args, "principal", "action", "role", "key", "context", "caller-address", "endpoint", "token");
        var body = BuildRequest(parsed);
        using var client = KmsConnection.Create(parsed, handler, time, currentDirectory, KmsRoles.Admin);
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/api/policy/simulate", content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            stderr.WriteLine(DescribeProblem((int)response.StatusCode, text));
            return 1;
        }

        var (line, allowed) = FormatDecision(text);
        stdout.WriteLine(line);
        return allowed ? 0 : DeniedExitCode;
    }

    /// <summary>The request body, camelCase, nulls left out.</summary>
    internal static JsonObject BuildRequest(CliArguments parsed)
    {
        var body = new JsonObject
        {
            ["principal"] = parsed.Required("principal"),
            ["action"] = parsed.Required("action"),
        };
        var roles = parsed.All("role");
        if (roles.Count > 0)
        {
            body["roles"] = new JsonArray(roles.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray());
        }

        if (parsed.Single("key") is { } key)
        {
            body["keyId"] = key;
        }

        var context = parsed.All("context");
        if (context.Count > 0)
        {
            var map = new JsonObject();
            foreach (var pair in context)
            {
                var at = pair.IndexOf('=', StringComparison.Ordinal);
                if (at <= 0)
                {
                    throw new UsageException($"'--context {pair}' must be key=value");
                }

                map[pair[..at]] = pair[(at + 1)..];
            }

            body["context"] = map;
        }

        if (parsed.Single("caller-address") is { } address)
        {
            body["callerAddress"] = address;
        }

        return body;
    }

    /// <summary>"ALLOW by ROLE: role kms.crypto (token, scope *)" and whether it was allowed.</summary>
    internal static (string Line, bool Allowed) FormatDecision(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var allowed = root.GetProperty("allowed").GetBoolean();
        return ($"{(allowed ? "ALLOW" : "DENY")} by {root.GetProperty("source").GetString()}: {root.GetProperty("reason").GetString()}", allowed);
    }

    internal static string DescribeProblem(int status, string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            return $"error {status} {root.GetProperty("code").GetString()}: {root.GetProperty("detail").GetString()}";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return $"error {status}";
        }
    }
}
