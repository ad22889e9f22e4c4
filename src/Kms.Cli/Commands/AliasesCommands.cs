using System.Text.Json.Nodes;
using Kms.Api.Contracts;
using Kms.Cli.Output;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary>
/// <c>kms aliases ...</c>. The API has one route that creates or re-points an alias (PUT) and one that deletes it;
/// create and update look the alias up first so that each does only what its name says.
/// </summary>
internal static class AliasesCommands
{
    public static IEnumerable<CliCommand> All =>
    [
        new("aliases list", "kms aliases list [--key KEY] [--json]", "list aliases and their keys (of one key with --key)", ListAsync),
        new("aliases create", "kms aliases create ALIAS --key KEYID [--json]", "create an alias for a key (fails if the alias exists)",
            (a, c) => PutAsync(a, c, mustExist: false)),
        new("aliases update", "kms aliases update ALIAS --key KEYID [--json]", "re-point an existing alias to another key",
            (a, c) => PutAsync(a, c, mustExist: true)),
        new("aliases delete", "kms aliases delete ALIAS", "delete an alias (the key is untouched)", DeleteAsync),
    ];

    private static async Task<int> ListAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key"]);
        parsed.NoPositional();
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        // The key list does not carry aliases; describing each key does (one request per key).
        var keyIds = parsed.Single("key") is { } key
            ? [key]
            : (await Paging.AllAsync(connection, "api/keys", "keys")).Items<KeyResponse>().Select(k => k.KeyId).ToList();
        var aliases = new List<(string Alias, string KeyId)>();
        foreach (var keyId in keyIds)
        {
            var described = ApiCommand.Read<KeyResponse>((await connection.GetAsync($"api/keys/{ApiCommand.Escape(keyId)}")).EnsureSuccess(keyId));
            aliases.AddRange((described.Aliases ?? []).Select(a => (a, described.KeyId)));
        }

        aliases.Sort((a, b) => string.CompareOrdinal(a.Alias, b.Alias));
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, new JsonObject
            {
                ["aliases"] = new JsonArray([.. aliases.Select(a => new JsonObject { ["alias"] = a.Alias, ["keyId"] = a.KeyId })]),
            });
        }
        else
        {
            TextTable.Write(context.Out, TextTable.Rows(["alias", "key id"], aliases.Select(a => new[] { a.Alias, a.KeyId })));
        }

        return ExitCodes.Success;
    }

    private static async Task<int> PutAsync(IReadOnlyList<string> args, CliContext context, bool mustExist)
    {
        var parsed = ApiCommand.Parse(args, ["key"]);
        var alias = parsed.Positionals("ALIAS")[0];
        var keyId = parsed.Required("key");
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var current = await connection.GetAsync($"api/keys/{ApiCommand.Escape(alias)}");
        if (current.Status == 404 && mustExist)
        {
            throw new CliException($"alias '{alias}' does not exist", ExitCodes.NotFound, $"create it with `kms aliases create {alias} --key {keyId}`");
        }

        if (current.IsSuccess && !mustExist)
        {
            var holder = ApiCommand.Read<KeyResponse>(current).KeyId;
            throw new CliException($"alias '{alias}' already exists (key {holder})", ExitCodes.Conflict,
                $"re-point it with `kms aliases update {alias} --key {keyId}`, or choose another alias");
        }

        if (current.Status != 404)
        {
            current.EnsureSuccess();
        }

        var response = (await connection.PutJsonAsync($"api/aliases/{ApiCommand.Escape(alias)}", ApiCommand.Serialize(new PutAliasRequest(keyId))))
            .EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () =>
        {
            var a = ApiCommand.Read<AliasResponse>(response);
            return TextTable.Fields([("alias", a.Alias), ("keyId", a.KeyId), ("createdAt", Formats.Time(a.CreatedAt)), ("updatedAt", Formats.Time(a.UpdatedAt))]);
        });
        return ExitCodes.Success;
    }

    private static async Task<int> DeleteAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var alias = parsed.Positionals("ALIAS")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        (await connection.DeleteAsync($"api/aliases/{ApiCommand.Escape(alias)}")).EnsureSuccess();
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, new JsonObject { ["alias"] = alias, ["deleted"] = true });
        }
        else
        {
            context.Out.WriteLine($"deleted alias {alias}");
        }

        return ExitCodes.Success;
    }
}
