using Kms.Api.Contracts;
using Kms.Cli.Output;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms sign|verify|mac|verify-mac|public-key</c> (role kms.crypto by default).</summary>
internal static class SigningCommands
{
    public static IEnumerable<CliCommand> All =>
    [
        new("sign", "kms sign --key KEY [--algorithm ALG] [--in FILE|- | --digest HEX] [--out FILE|-] [--json]",
            "sign a message from a file or stdin (or a precomputed digest); the signature prints as base64 (raw with --out)", SignAsync),
        new("verify", "kms verify --key KEY [--algorithm ALG] (--signature BASE64 | --signature-file FILE) [--in FILE|- | --digest HEX] [--version N] [--json]",
            "verify a signature; exit 0 if valid, 7 if not", VerifyAsync),
        new("mac", "kms mac --key KEY [--in FILE|-] [--out FILE|-] [--json]", "compute an HMAC of a message from a file or stdin", MacAsync),
        new("verify-mac", "kms verify-mac --key KEY (--mac BASE64 | --mac-file FILE) [--in FILE|-] [--version N] [--json]",
            "verify an HMAC; exit 0 if valid, 7 if not", VerifyMacAsync),
        new("public-key", "kms public-key --key KEY [--version N] [--out FILE] [--json]", "the public key of a signing key (SPKI PEM)", PublicKeyAsync),
    ];

    private static async Task<int> SignAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "algorithm", "in", "digest", "out"]);
        parsed.NoPositional();
        BinaryIo.RequireStdoutForOneThing(parsed);
        var key = parsed.Required("key");
        var (message, digest) = MessageOrDigest(parsed, context);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var algorithm = parsed.Single("algorithm") ?? await DefaultAlgorithmAsync(connection, key);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/sign",
            ApiCommand.Serialize(new SignRequest(algorithm, message, digest)))).EnsureSuccess(key);
        var signed = ApiCommand.Read<SignResponse>(response);
        if (BinaryIo.Given(parsed, "out"))
        {
            BinaryIo.Write(parsed, context, BinaryIo.FromBase64(signed.Signature, "signature"));
        }

        if (parsed.Single("out") == BinaryIo.StandardStream)
        {
            return ExitCodes.Success;
        }

        ApiCommand.Write(context, parsed, response, () => TextTable.Fields(
        [
            ("keyId", signed.KeyId), ("version", Formats.Number(signed.Version)), ("algorithm", signed.Algorithm),
            ("signature", BinaryIo.Given(parsed, "out") ? null : signed.Signature),
        ]));
        return ExitCodes.Success;
    }

    private static async Task<int> VerifyAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "algorithm", "signature", "signature-file", "in", "digest", "version"]);
        parsed.NoPositional();
        var key = parsed.Required("key");
        var signature = Base64OrFile(parsed, context, "signature", "signature-file");
        var (message, digest) = MessageOrDigest(parsed, context);
        var version = parsed.Int("version", 1, int.MaxValue);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var algorithm = parsed.Single("algorithm") ?? await DefaultAlgorithmAsync(connection, key);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/verify",
            ApiCommand.Serialize(new VerifyRequest(algorithm, signature, message, digest, version)))).EnsureSuccess(key);
        return Verdict(context, parsed, response, "signature");
    }

    private static async Task<int> MacAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "in", "out"]);
        parsed.NoPositional();
        BinaryIo.RequireStdoutForOneThing(parsed);
        var key = parsed.Required("key");
        var message = Convert.ToBase64String(BinaryIo.Read(parsed, context));
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/mac", ApiCommand.Serialize(new MacRequest(message))))
            .EnsureSuccess(key);
        var mac = ApiCommand.Read<MacResponse>(response);
        if (BinaryIo.Given(parsed, "out"))
        {
            BinaryIo.Write(parsed, context, BinaryIo.FromBase64(mac.Mac, "MAC"));
        }

        if (parsed.Single("out") == BinaryIo.StandardStream)
        {
            return ExitCodes.Success;
        }

        ApiCommand.Write(context, parsed, response, () => TextTable.Fields(
            [("keyId", mac.KeyId), ("version", Formats.Number(mac.Version)), ("mac", BinaryIo.Given(parsed, "out") ? null : mac.Mac)]));
        return ExitCodes.Success;
    }

    private static async Task<int> VerifyMacAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "mac", "mac-file", "in", "version"]);
        parsed.NoPositional();
        var key = parsed.Required("key");
        var mac = Base64OrFile(parsed, context, "mac", "mac-file");
        var message = Convert.ToBase64String(BinaryIo.Read(parsed, context));
        var version = parsed.Int("version", 1, int.MaxValue);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/verify-mac",
            ApiCommand.Serialize(new VerifyMacRequest(message, mac, version)))).EnsureSuccess(key);
        return Verdict(context, parsed, response, "MAC");
    }

    private static async Task<int> PublicKeyAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "version", "out"]);
        parsed.NoPositional();
        var key = parsed.Required("key");
        var version = parsed.Int("version", 1, int.MaxValue);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var publicKey = await GetPublicKeyAsync(connection, key, version);
        if (BinaryIo.Given(parsed, "out") && parsed.Single("out") != BinaryIo.StandardStream)
        {
            BinaryIo.Write(parsed, context, System.Text.Encoding.ASCII.GetBytes(publicKey.Key.PublicKey));
        }
        else if (!parsed.Flag(ApiCommand.JsonFlag))
        {
            context.Out.Write(publicKey.Key.PublicKey.EndsWith('\n') ? publicKey.Key.PublicKey : publicKey.Key.PublicKey + "\n");
        }

        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, publicKey.Response.Body);
        }

        return ExitCodes.Success;
    }

    /// <summary>"valid"/"INVALID" with the key and version that checked it; exit 0 or 7.</summary>
    private static int Verdict(CliContext context, CliArguments parsed, KmsResponse response, string what)
    {
        var verdict = ApiCommand.Read<VerifyResponse>(response);
        ApiCommand.Write(context, parsed, response, () =>
            [$"{(verdict.Valid ? "valid" : "INVALID")}: the {what} {(verdict.Valid ? "matches" : "does not match")} key {verdict.KeyId} version {verdict.Version}"]);
        return verdict.Valid ? ExitCodes.Success : ExitCodes.VerificationFailed;
    }

    /// <summary>The message (base64 of --in/stdin) or the digest (base64 of the --digest hex), exactly one of them.</summary>
    private static (string? Message, string? Digest) MessageOrDigest(CliArguments parsed, CliContext context)
    {
        if (parsed.Single("digest") is not { } hex)
        {
            return (Convert.ToBase64String(BinaryIo.Read(parsed, context)), null);
        }

        if (BinaryIo.Given(parsed, "in"))
        {
            throw new UsageException("give the message ('--in' or stdin) or '--digest', not both");
        }

        try
        {
            return (null, Convert.ToBase64String(Convert.FromHexString(hex)));
        }
        catch (FormatException)
        {
            throw new UsageException("'--digest' must be hexadecimal, e.g. the first field of `sha256sum FILE`");
        }
    }

    /// <summary>A signature or MAC: base64 text from <paramref name="textOption"/> or raw bytes from <paramref name="fileOption"/>.</summary>
    private static string Base64OrFile(CliArguments parsed, CliContext context, string textOption, string fileOption)
    {
        var text = parsed.Single(textOption);
        var file = parsed.Single(fileOption);
        if ((text is null) == (file is null))
        {
            throw new UsageException($"give exactly one of '--{textOption}' and '--{fileOption}'");
        }

        if (file == BinaryIo.StandardStream && (parsed.Single("in") is null or BinaryIo.StandardStream) && parsed.Single("digest") is null)
        {
            throw new UsageException($"standard input can hold the message or the '--{fileOption}', not both");
        }

        if (text is not null)
        {
            try
            {
                return Convert.ToBase64String(Convert.FromBase64String(text));
            }
            catch (FormatException)
            {
                throw new UsageException($"'--{textOption}' must be base64 (or give the raw bytes with '--{fileOption}')");
            }
        }

        return Convert.ToBase64String(BinaryIo.Read(parsed, context, fileOption));
    }

    /// <summary>The key's natural algorithm when --algorithm is not given, from its spec (the public-key route tells it to kms.crypto callers).</summary>
    private static async Task<string> DefaultAlgorithmAsync(KmsConnection connection, string key)
    {
        var spec = (await GetPublicKeyAsync(connection, key, null)).Key.KeySpec;
        return spec switch
        {
            "EC_P256" => "ECDSA_SHA_256",
            "EC_P384" => "ECDSA_SHA_384",
            _ when spec.StartsWith("RSA_", StringComparison.Ordinal) => "RSASSA_PSS_SHA_256",
            _ => throw new CliException($"key {key} ({spec}) does not sign", ExitCodes.Failure, "sign with an RSA_* or EC_* key, or give --algorithm"),
        };
    }

    private static async Task<(PublicKeyResponse Key, KmsResponse Response)> GetPublicKeyAsync(KmsConnection connection, string key, int? version)
    {
        var query = version is { } v ? $"?version={v}" : "";
        var response = (await connection.GetAsync($"api/keys/{ApiCommand.Escape(key)}/public-key{query}", "application/json")).EnsureSuccess(key);
        return (ApiCommand.Read<PublicKeyResponse>(response), response);
    }
}
