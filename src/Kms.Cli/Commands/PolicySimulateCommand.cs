using System.Text.Json;
using System.Text.Json.Serialization;
using Kms.Api.Contracts;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary>
/// <c>kms policy simulate --principal P --action A [...]</c>: asks the KMS whether P may do A and which role
/// or statement decides. Exit 0 when allowed, 3 when denied.
/// </summary>
internal static class PolicySimulateCommand
{
    public const string Usage = "kms policy simulate --principal P --action A [--role R ...] [--key KEYID] [--context k=v ...] [--caller-address IP] [--json] [--endpoint URL] [--token TOKEN]";
    public const string Route = "api/policy/simulate";

    // The server binds with the web defaults (camelCase); nulls are left out rather than sent.
    // Reading, a missing or null member of the answer is an error rather than a silent false.
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        RespectRequiredConstructorParameters = true,
        RespectNullableAnnotations = true,
    };

    public static async Task<int> RunAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["principal", "action", "role", "key", "context", "caller-address"]);
        parsed.NoPositional();
        var body = BuildRequest(parsed);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync(Route, body)).EnsureSuccess(parsed.Single("key"));

        var (line, allowed) = FormatDecision(response.Body);
        ApiCommand.Write(context, parsed, response, () => [line]);
        return allowed ? ExitCodes.Success : ExitCodes.Denied;
    }

    /// <summary>The JSON body of <c>POST /api/policy/simulate</c>: camelCase, options not given left out.</summary>
    internal static string BuildRequest(CliArguments parsed)
    {
        var principal = parsed.Required("principal");
        var action = parsed.Required("action");
        var roles = parsed.All("role");
        var encryptionContext = ApiCommand.EncryptionContext(parsed);

        var request = new SimulateRequest(principal, action, roles.Count > 0 ? [.. roles] : null, parsed.Single("key"), encryptionContext,
            parsed.Single("caller-address"));
        return JsonSerializer.Serialize(request, Json);
    }

    /// <summary>"ALLOW by ROLE: role kms.crypto (token, scope *)" and whether it was allowed.</summary>
    internal static (string Line, bool Allowed) FormatDecision(string json)
    {
        SimulateResponse? decision;
        try
        {
            decision = JsonSerializer.Deserialize<SimulateResponse>(json, Json);
        }
        catch (JsonException)
        {
            decision = null;
        }

        if (decision is null)
        {
            throw new CliException("the KMS answered with something other than a simulation result; is --endpoint a KMS?");
        }

        return ($"{(decision.Allowed ? "ALLOW" : "DENY")} by {decision.Source}: {decision.Reason}", decision.Allowed);
    }
}
