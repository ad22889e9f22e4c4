using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Cli.Commands;

/// <summary><c>kms policy validate FILE...</c>: checks key policy documents as the server would, offline (for policies kept as code in CI).</summary>
internal static class PolicyValidateCommand
{
    public const string Usage = "kms policy validate FILE [FILE ...]   ('-' reads standard input)";
    public const string StandardInput = "-";

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        // No options yet; parsing still turns a stray "--flag" into a usage error instead of a missing file.
        var files = CliArguments.Parse(args).Positional;
        if (files.Count == 0)
        {
            throw new UsageException("name at least one policy file");
        }

        if (files.Count(f => f == StandardInput) > 1)
        {
            throw new UsageException("standard input ('-') can be read only once");
        }

        var invalid = 0;
        foreach (var file in files)
        {
            if (!Validate(file, context))
            {
                invalid++;
            }
        }

        return invalid == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    private static bool Validate(string file, CliContext context)
    {
        string text;
        try
        {
            var path = file == StandardInput ? null : Path.GetFullPath(file, context.CurrentDirectory);
            if (path is not null && Directory.Exists(path))
            {
                context.Error.WriteLine($"{file}: cannot read: it is a directory");
                return false;
            }

            text = path is null ? context.In.ReadToEnd() : File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"{file}: cannot read: {e.Message}");
            return false;
        }

        try
        {
            var count = KeyPolicyDocument.Parse(text).Statements.Count;
            context.Out.WriteLine($"{file}: valid ({count} statement{(count == 1 ? "" : "s")})");
            return true;
        }
        catch (KmsException e)
        {
            context.Error.WriteLine($"{file}: invalid: {e.Message}");
            return false;
        }
    }
}
