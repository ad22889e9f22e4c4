using Kms.Api.Contracts;
using Kms.Cli.Output;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary>
/// <c>kms encrypt|decrypt|data-key|random</c> (role kms.crypto by default). Data goes in and out as raw bytes
/// (<c>--in</c>/<c>--out</c> or stdin/stdout); <c>--json</c> prints the API's answer with base64 fields instead.
/// </summary>
internal static class CryptoCommands
{
    public static IEnumerable<CliCommand> All =>
    [
        new("encrypt", "kms encrypt --key KEY [--in FILE|-] [--out FILE|-] [--context k=v ...] [--json]",
            "encrypt up to 64 KiB from a file or stdin; the ciphertext (binary) goes to a file or stdout", EncryptAsync),
        new("decrypt", "kms decrypt [--in FILE|-] [--out FILE|-] [--context k=v ...] [--json]",
            "decrypt a ciphertext from a file or stdin (the key comes from the ciphertext); the plaintext goes to a file or stdout",
            DecryptAsync),
        new("data-key", "kms data-key --key KEY [--key-spec AES_256|AES_128] [--context k=v ...] [--no-plaintext] [--plaintext-out FILE] [--ciphertext-out FILE] [--json]",
            "generate a data key for envelope encryption (decrypt its ciphertext with `kms decrypt`)", DataKeyAsync),
        new("random", "kms random --bytes N [--out FILE|-] [--json]", "N (1-1024) random bytes from the HSM, base64 (raw with --out)", RandomAsync),
    ];

    private static async Task<int> EncryptAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "in", "out", "context"]);
        parsed.NoPositional();
        var key = parsed.Required("key");
        var encryptionContext = ApiCommand.EncryptionContext(parsed);
        var plaintext = BinaryIo.Read(parsed, context);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/encrypt",
            ApiCommand.Serialize(new EncryptRequest(Convert.ToBase64String(plaintext), encryptionContext)))).EnsureSuccess(key);
        var ciphertext = BinaryIo.FromBase64(ApiCommand.Read<EncryptResponse>(response).Ciphertext, "ciphertext");
        WriteData(parsed, context, response, ciphertext);
        return ExitCodes.Success;
    }

    private static async Task<int> DecryptAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["in", "out", "context"]);
        parsed.NoPositional();
        var encryptionContext = ApiCommand.EncryptionContext(parsed);
        var ciphertext = BinaryIo.Read(parsed, context);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync("api/decrypt",
            ApiCommand.Serialize(new DecryptRequest(Convert.ToBase64String(ciphertext), encryptionContext)))).EnsureSuccess();
        var plaintext = BinaryIo.FromBase64(ApiCommand.Read<DecryptResponse>(response).Plaintext, "plaintext");
        WriteData(parsed, context, response, plaintext);
        return ExitCodes.Success;
    }

    /// <summary>Raw bytes to --out/stdout; with --json the API's JSON to stdout and the bytes only to a named --out.</summary>
    private static void WriteData(CliArguments parsed, CliContext context, KmsResponse response, byte[] data)
    {
        if (!parsed.Flag(ApiCommand.JsonFlag))
        {
            BinaryIo.Write(parsed, context, data);
            return;
        }

        if (parsed.Single("out") is { } target && target != BinaryIo.StandardStream)
        {
            BinaryIo.Write(parsed, context, data);
        }

        ApiCommand.WriteJson(context, response.Body);
    }

    private static async Task<int> DataKeyAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["key", "key-spec", "context", "plaintext-out", "ciphertext-out"], "no-plaintext");
        parsed.NoPositional();
        var key = parsed.Required("key");
        var noPlaintext = parsed.Flag("no-plaintext");
        if (noPlaintext && BinaryIo.Given(parsed, "plaintext-out"))
        {
            throw new UsageException("'--plaintext-out' and '--no-plaintext' exclude each other");
        }

        if (parsed.Single("plaintext-out") == BinaryIo.StandardStream || parsed.Single("ciphertext-out") == BinaryIo.StandardStream)
        {
            // Two binary values and the summary cannot share one stdout.
            throw new UsageException("'--plaintext-out' and '--ciphertext-out' take a file name, not '-'");
        }

        var request = new GenerateDataKeyRequest(parsed.Single("key-spec"), ApiCommand.EncryptionContext(parsed), noPlaintext ? false : null);
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync($"api/keys/{ApiCommand.Escape(key)}/generate-data-key", ApiCommand.Serialize(request)))
            .EnsureSuccess(key);
        var dataKey = ApiCommand.Read<GenerateDataKeyResponse>(response);
        if (BinaryIo.Given(parsed, "ciphertext-out"))
        {
            BinaryIo.Write(parsed, context, BinaryIo.FromBase64(dataKey.Ciphertext, "ciphertext"), "ciphertext-out");
        }

        if (BinaryIo.Given(parsed, "plaintext-out"))
        {
            BinaryIo.Write(parsed, context, BinaryIo.FromBase64(dataKey.Plaintext, "plaintext"), "plaintext-out");
        }

        ApiCommand.Write(context, parsed, response, () => TextTable.Fields(
        [
            ("keyId", dataKey.KeyId), ("version", Formats.Number(dataKey.Version)),
            ("ciphertext", BinaryIo.Given(parsed, "ciphertext-out") ? null : dataKey.Ciphertext),
            ("plaintext", BinaryIo.Given(parsed, "plaintext-out") ? null : dataKey.Plaintext),
        ]));
        return ExitCodes.Success;
    }

    private static async Task<int> RandomAsync(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = ApiCommand.Parse(args, ["bytes", "out"]);
        parsed.NoPositional();
        BinaryIo.RequireStdoutForOneThing(parsed);
        var bytes = parsed.Int("bytes", 1, 1024) ?? throw new UsageException("'--bytes' is required");
        using var connection = KmsConnection.Create(parsed, context, KmsRoles.Crypto);
        var response = (await connection.PostJsonAsync("api/random", ApiCommand.Serialize(new RandomRequest(bytes)))).EnsureSuccess();
        var random = ApiCommand.Read<RandomResponse>(response).Random;
        if (BinaryIo.Given(parsed, "out"))
        {
            BinaryIo.Write(parsed, context, BinaryIo.FromBase64(random, "random"));
        }

        if (parsed.Flag(ApiCommand.JsonFlag))
        {
            ApiCommand.WriteJson(context, response.Body);
        }
        else if (!BinaryIo.Given(parsed, "out"))
        {
            context.Out.WriteLine(random);
        }

        return ExitCodes.Success;
    }
}
