using Kms.Api.Contracts;
using Kms.Cli.Output;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms keys ...</c>: create, list, show and the lifecycle of keys and their versions (role kms.admin by default).</summary>
internal static class KeysCommands
{
    public static IEnumerable<CliCommand> All =>
    [
        new("keys create", "kms keys create --spec SPEC [--usage USAGE] [--alias ALIAS] [--description TEXT] [--tag k=v ...] [--deletion-protection] [--json]",
            "create a key (AES_256, RSA_2048|3072|4096, EC_P256|P384, HMAC_SHA256)", CreateAsync),
        new("keys list", "kms keys list [--json]", "list every key (all pages)", ListAsync),
        new("keys show", "kms keys show KEY [--json]", "describe a key (KEY: id or alias), with its aliases", ShowAsync),
        new("keys rotate", "kms keys rotate KEYID [--json]", "add a new primary version now (for a staged rotation: kms operations start-rotation)",
            RotateAsync),
        new("keys enable", "kms keys enable KEYID [--json]", "enable a key", (a, c) => SetStateAsync(a, c, "enable")),
        new("keys disable", "kms keys disable KEYID [--json]", "disable a key: every use is refused until it is enabled",
            (a, c) => SetStateAsync(a, c, "disable")),
        new("keys schedule-deletion", "kms keys schedule-deletion KEYID [--waiting-days N] [--json]",
            "schedule the key's destruction after N days (default and most 30; the server's minimum applies) and approvals", ScheduleDeletionAsync),
        new("keys cancel-deletion", "kms keys cancel-deletion KEYID [--json]", "cancel a scheduled deletion (the key stays disabled)",
            (a, c) => SetStateAsync(a, c, "cancel-deletion")),
        new("keys deletion-protection", "kms keys deletion-protection KEYID on|off [--json]", "turn deletion protection on or off",
            DeletionProtectionAsync),
        new("keys rotation-policy", "kms keys rotation-policy KEYID (--days N | --off) [--json]",
            "rotate automatically every N days (1-3650), or stop", RotationPolicyAsync),
        new("keys versions list", "kms keys versions list KEYID [--json]", "list a key's versions", ListVersionsAsync),
        new("keys versions enable", "kms keys versions enable KEYID VERSION [--json]", "enable a version",
            (a, c) => SetVersionStateAsync(a, c, "enable")),
        new("keys versions disable", "kms keys versions disable KEYID VERSION [--json]", "disable a version (others keep working)",
            (a, c) => SetVersionStateAsync(a, c, "disable")),
    ];

    private static async Task<int> CreateAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["spec", "usage", "alias", "description", "tag"], "deletion-protection");
        parsed.NoPositional();
        Dictionary<string, string>? tags = null;
        foreach (var tag in parsed.All("tag"))
        {
            var at = tag.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || !(tags ??= new(StringComparer.Ordinal)).TryAdd(tag[..at], tag[(at + 1)..]))
            {
                throw new UsageException($"'--tag {tag}' must be key=value, each key once");
            }
        }

        var request = new CreateKeyRequest(parsed.Required("spec"), parsed.Single("usage"), parsed.Single("alias"), parsed.Single("description"), tags,
            parsed.Flag("deletion-protection") ? true : null);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync("api/keys", ApiCommand.Serialize(request))).EnsureSuccess();
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> ListAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        parsed.NoPositional();
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var keys = await Paging.AllAsync(connection, "api/keys", "keys");
        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, keys.Json);
            return ExitCodes.Success;
        }

        TextTable.Write(context.Out, TextTable.Rows(["key id", "spec", "usage", "state", "primary", "created", "description"],
            keys.Items<KeyResponse>().Select(k => new[]
            {
                k.KeyId, k.KeySpec, k.KeyUsage, k.State, Formats.Number(k.PrimaryVersion), Formats.Time(k.CreatedAt), k.Description,
            })));
        return ExitCodes.Success;
    }

    private static async Task<int> ShowAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var key = parsed.Positionals("KEY")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.GetAsync($"api/keys/{ApiCommand.Escape(key)}")).EnsureSuccess(key);
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> RotateAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var keyId = parsed.Positionals("KEYID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(keyId)}/rotate", "{}")).EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () =>
        {
            var rotated = ApiCommand.Read<RotateKeyResponse>(response);
            return TextTable.Fields([("keyId", rotated.KeyId), ("version", Formats.Number(rotated.Version)), ("primaryVersion", Formats.Number(rotated.PrimaryVersion))]);
        });
        return ExitCodes.Success;
    }

    /// <summary>enable, disable and cancel-deletion: a bodiless POST answering the key.</summary>
    private static async Task<int> SetStateAsync(IReadOnlyList<string> args, CliContext context, string action)
    {
        var parsed = ApiCommand.Parse(args, []);
        var keyId = parsed.Positionals("KEYID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(keyId)}/{action}", "{}")).EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> ScheduleDeletionAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["waiting-days"]);
        var keyId = parsed.Positionals("KEYID")[0];
        // The server enforces its own minimum (7 days unless lowered for drills); 0..30 lets a drill host's setting through.
        var request = new ScheduleDeletionRequest(parsed.Int("waiting-days", 0, 30));
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(keyId)}/schedule-deletion", ApiCommand.Serialize(request)))
            .EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> DeletionProtectionAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var positional = parsed.Positionals("KEYID", "on|off");
        var enabled = positional[1] switch
        {
            "on" => true,
            "off" => false,
            _ => throw new UsageException($"'{positional[1]}' must be on or off"),
        };
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PutJsonAsync($"api/keys/{ApiCommand.Escape(positional[0])}/deletion-protection",
            ApiCommand.Serialize(new DeletionProtectionRequest(enabled)))).EnsureSuccess(positional[0]);
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> RotationPolicyAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["days"], "off");
        var keyId = parsed.Positionals("KEYID")[0];
        var days = parsed.Int("days", 1, 3650);
        if (days is null == !parsed.Flag("off"))
        {
            throw new UsageException("give either '--days N' or '--off'");
        }

        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PutJsonAsync($"api/keys/{ApiCommand.Escape(keyId)}/rotation-policy",
            ApiCommand.Serialize(new RotationPolicyRequest(days)))).EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () => KeyFields(ApiCommand.Read<KeyResponse>(response)));
        return ExitCodes.Success;
    }

    private static async Task<int> ListVersionsAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, []);
        var keyId = parsed.Positionals("KEYID")[0];
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.GetAsync($"api/keys/{ApiCommand.Escape(keyId)}/versions")).EnsureSuccess(keyId);
        ApiCommand.Write(context, parsed, response, () => TextTable.Rows(["version", "state", "primary", "created", "state changed"],
            ApiCommand.Read<KeyVersionListResponse>(response).Versions.Select(v => new[]
            {
                Formats.Number(v.Version), v.State, v.Primary ? "*" : "", Formats.Time(v.CreatedAt), Formats.Time(v.StateChangedAt),
            })));
        return ExitCodes.Success;
    }

    private static async Task<int> SetVersionStateAsync(IReadOnlyList<string> args, CliContext context, string action)
    {
        var parsed = ApiCommand.Parse(args, []);
        var positional = parsed.Positionals("KEYID", "VERSION");
        if (!int.TryParse(positional[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version) || version < 1)
        {
            throw new UsageException($"VERSION '{positional[1]}' must be a version number (1, 2, ...)");
        }

        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Admin);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(positional[0])}/versions/{version}/{action}", "{}"))
            .EnsureSuccess(positional[0]);
        ApiCommand.Write(context, parsed, response, () =>
        {
            var v = ApiCommand.Read<KeyVersionResponse>(response);
            return TextTable.Fields([("keyId", v.KeyId), ("version", Formats.Number(v.Version)), ("state", v.State), ("primary", Formats.Bool(v.Primary)),
                ("createdAt", Formats.Time(v.CreatedAt)), ("stateChangedAt", Formats.Time(v.StateChangedAt))]);
        });
        return ExitCodes.Success;
    }

    internal static IEnumerable<string> KeyFields(KeyResponse k) => TextTable.Fields(
    [
        ("keyId", k.KeyId), ("keySpec", k.KeySpec), ("keyUsage", k.KeyUsage), ("state", k.State),
        ("primaryVersion", Formats.Number(k.PrimaryVersion)), ("latestVersion", Formats.Number(k.LatestVersion)),
        ("aliases", Formats.List(k.Aliases)), ("description", k.Description), ("tags", Formats.Map(k.Tags)),
        ("deletionProtection", Formats.Bool(k.DeletionProtection)), ("deletionDate", Formats.Time(k.DeletionDate)),
        ("rotationPeriodDays", Formats.Number(k.RotationPeriodDays)), ("nextRotationAt", Formats.Time(k.NextRotationAt)),
        ("createdAt", Formats.Time(k.CreatedAt)), ("updatedAt", Formats.Time(k.UpdatedAt)),
    ]);
}
