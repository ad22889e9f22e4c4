namespace Kms.Cli;

/// <summary>
/// Binary input and output of the data commands: <c>--in FILE</c> or standard input, <c>--out FILE</c> or standard
/// output, byte for byte (no encoding, no added newline), so `kms encrypt | kms decrypt` round-trips any data.
/// </summary>
internal static class BinaryIo
{
    public const string StandardStream = "-";

    /// <summary>Far above what the KMS accepts (64 KiB of plaintext); only guards against reading a huge file by mistake.</summary>
    public const int MaxInputBytes = 16 * 1024 * 1024;

    /// <summary>The bytes of <c>--{option}</c> (a file, or '-') or, when it is absent, of standard input.</summary>
    public static byte[] Read(CliArguments parsed, CliContext context, string option = "in")
    {
        var source = parsed.Single(option) ?? StandardStream;
        try
        {
            if (source == StandardStream)
            {
                return ReadAll(context.StandardInput, "standard input");
            }

            var path = Path.GetFullPath(source, context.CurrentDirectory);
            using var file = File.OpenRead(path);
            return ReadAll(file, source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {source}: {e.Message}");
        }
    }

    /// <summary>Writes to <c>--{option}</c> (a file, or '-') or standard output; refuses to spray binary on a terminal.</summary>
    public static void Write(CliArguments parsed, CliContext context, ReadOnlySpan<byte> data, string option = "out")
    {
        var target = parsed.Single(option) ?? StandardStream;
        if (target == StandardStream)
        {
            if (context.OutputIsTerminal)
            {
                throw new UsageException($"the output is binary and stdout is a terminal: give '--{option} FILE', redirect stdout, or use --json");
            }

            context.StandardOutput.Write(data);
            context.StandardOutput.Flush();
            return;
        }

        try
        {
            File.WriteAllBytes(Path.GetFullPath(target, context.CurrentDirectory), data);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot write {target}: {e.Message}");
        }
    }

    /// <summary>Refuses <c>--out -</c> together with <c>--json</c>: raw bytes and a JSON document cannot share stdout.</summary>
    public static void RequireStdoutForOneThing(CliArguments parsed, string option = "out")
    {
        if (parsed.Single(option) == StandardStream && parsed.Flag(ApiCommand.JsonFlag))
        {
            throw new UsageException($"'--{option} -' and '--json' both write to stdout: give '--{option} FILE'");
        }
    }

    /// <summary>Whether <c>--{option}</c> names a file or '-' (rather than being absent).</summary>
    public static bool Given(CliArguments parsed, string option) => parsed.Single(option) is not null;

    public static byte[] FromBase64(string? text, string what) =>
        text is not null && TryFromBase64(text, out var bytes) ? bytes : throw new CliException($"the KMS answered without a valid {what}");

    private static bool TryFromBase64(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromBase64String(text);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    private static byte[] ReadAll(Stream stream, string name)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxInputBytes)
            {
                throw new CliException($"{name} is larger than {MaxInputBytes / (1024 * 1024)} MiB; the KMS takes at most 64 KiB per message",
                    ExitCodes.Failure, "encrypt large data locally under a key from `kms data-key`");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
