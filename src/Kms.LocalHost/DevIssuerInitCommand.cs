using Kms.Api.Security;

namespace Kms.LocalHost;

/// <summary>
/// <c>Kms.LocalHost init-dev-issuer</c>: creates the development token issuer's EC P-256 key at
/// Kms:Auth:DevIssuer:SigningKeyFile when it does not exist. The CLI mints tokens with it; the host verifies them.
/// </summary>
internal static class DevIssuerInitCommand
{
    public static int Run(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var keyFile = configuration["Kms:Auth:DevIssuer:SigningKeyFile"];
        if (string.IsNullOrWhiteSpace(keyFile))
        {
            Console.Error.WriteLine("init-dev-issuer failed: Kms:Auth:DevIssuer:SigningKeyFile is not set.");
            return 1;
        }

        Console.WriteLine(DevTokenIssuer.EnsureKeyFile(keyFile)
            ? $"Created the development token issuer key at {keyFile}."
            : $"Development token issuer key {keyFile} already exists; nothing changed.");
        return 0;
    }
}
