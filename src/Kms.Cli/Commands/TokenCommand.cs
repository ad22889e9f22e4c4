using System.Globalization;
using Kms.Core.Authorization;

namespace Kms.Cli.Commands;

/// <summary><c>kms token</c>: a JWT from the local development issuer, for the local host only.</summary>
internal static class TokenCommand
{
    public const string Usage = "kms token --principal NAME [--role ROLE ...] [--minutes N] [--key-file PATH] [--audience AUD] [--issuer ISS]";
    public const int DefaultMinutes = 60;
    public const int MaxMinutes = 1440;

    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        var parsed = CliArguments.Parse(args, "principal", "role", "minutes", "key-file", "audience", "issuer");
        parsed.NoPositional();
        var principal = parsed.Required("principal");
        var minutes = parsed.Single("minutes") is { } m
            ? int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxMinutes
                ? n
                : throw new UsageException($"'--minutes' must be a whole number from 1 to {MaxMinutes}")
            : DefaultMinutes;
        var roles = parsed.All("role").Distinct(StringComparer.Ordinal).ToArray();
        if (roles.Length == 0)
        {
            context.Error.WriteLine("warning: the token carries no roles; only role assignments stored in the KMS will apply to it");
        }

        var unknown = roles.Where(r => !KmsRoles.IsKnown(r)).ToArray();
        if (unknown.Length > 0)
        {
            // Allowed on purpose (a newer server may know more roles), but usually a typo.
            context.Error.WriteLine($"warning: not a built-in role (the KMS ignores it): {string.Join(", ", unknown)}; built-in roles: {string.Join(", ", KmsRoles.All)}");
        }

        var issuer = DevTokens.Load(DevTokens.KeyFile(parsed.Single("key-file"), context), DevTokens.Issuer(parsed.Single("issuer"), context),
            context.CurrentDirectory);
        var token = issuer.Mint(principal, roles, DevTokens.Audience(parsed.Single("audience"), context), context.Time.GetUtcNow(),
            TimeSpan.FromMinutes(minutes));
        context.Out.WriteLine(token);
        return ExitCodes.Success;
    }
}
