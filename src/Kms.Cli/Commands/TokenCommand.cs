using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms token --principal NAME --role ROLE [--role ROLE] [--minutes N]</c>: a token from the local development issuer.</summary>
internal static class TokenCommand
{
    public const string Usage = "kms token --principal NAME --role ROLE [--role ROLE ...] [--minutes N (1-1440, default 60)] [--key-file PATH] [--audience AUD] [--issuer ISS]";

    public static int Run(IEnumerable<string> args, TextWriter stdout, TextWriter stderr, TimeProvider time, string currentDirectory)
    {
        var parsed = CliArguments.Parse(args, "principal", "role", "minutes", "key-file", "audience", "issuer");
        if (parsed.Positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{parsed.Positional[0]}'");
        }

        var principal = parsed.Required("principal");
        var minutes = parsed.Single("minutes") is { } m
            ? int.TryParse(m, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1440
                ? n
                : throw new UsageException("'--minutes' must be a whole number from 1 to 1440")
            : 60;
        var roles = parsed.All("role");
        var unknown = roles.Where(r => !KmsRoles.IsKnown(r)).ToArray();
        if (unknown.Length > 0)
        {
            stderr.WriteLine($"warning: {string.Join(", ", unknown)} is not a built-in role (the KMS ignores it); built-in roles: {string.Join(", ", KmsRoles.All)}");
        }

        var issuer = DevTokens.Load(DevTokens.KeyFile(parsed.Single("key-file"), currentDirectory), DevTokens.Issuer(parsed.Single("issuer")));
        stdout.WriteLine(issuer.Mint(principal, roles, DevTokens.Audience(parsed.Single("audience")), time.GetUtcNow(), TimeSpan.FromMinutes(minutes)));
        return 0;
    }
}
