using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Cli.Commands;

/// <summary><c>kms policy validate FILE...</c>: checks key policy documents as the server would (for policies kept as code in CI).</summary>
internal static class PolicyValidateCommand
{
    public const string Usage = "kms policy validate FILE [FILE ...]   (FILE '-' reads standard input)";

    public static int Run(IReadOnlyList<string> files, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (files.Count == 0)
        {
            throw new UsageException("name at least one policy file");
        }

        var failures = 0;
        foreach (var file in files)
        {
            string text;
            try
            {
                text = file == "-" ? stdin.ReadToEnd() : File.ReadAllText(file);
            }
            catch (IOException e)
            {
                stderr.WriteLine($"{file}: cannot read: {e.Message}");
                failures++;
                continue;
            }

            try
            {
                var policy = KeyPolicyDocument.Parse(text);
                stdout.WriteLine($"{file}: valid ({policy.Statements.Count} statement{(policy.Statements.Count == 1 ? "" : "s")})");
            }
            catch (KmsException e) when (e.Code == KmsErrorCodes.InvalidPolicy)
            {
                stderr.WriteLine($"{file}: invalid: {e.Message}");
                failures++;
            }
        }

        return failures == 0 ? 0 : 1;
    }
}
