using System.Security.Cryptography;
using Kms.Api.Security;

namespace Kms.Cli;

/// <summary>
/// The local development issuer's settings, each from an option, then the environment the hosts read
/// (<c>Kms__Auth__...</c>), then the defaults infra/local/up.sh uses.
/// </summary>
internal static class DevTokens
{
    public const string KeyFileVariable = "Kms__Auth__DevIssuer__SigningKeyFile";
    public const string IssuerVariable = "Kms__Auth__DevIssuer__Issuer";
    public const string AudienceVariable = "Kms__Auth__Audience";

    /// <summary>up.sh keeps its data here when set (default &lt;repo&gt;/.data/local).</summary>
    public const string DataDirVariable = "KMS_DATA_DIR";

    public const string KeyFileName = "dev-issuer.pem";

    public static string KeyFile(string? explicitPath, CliContext context) =>
        explicitPath
        ?? context.Env(KeyFileVariable)
        ?? Path.Combine(context.Env(DataDirVariable) ?? RepoPaths.LocalDataDirectory(context.CurrentDirectory), KeyFileName);

    public static string Audience(string? explicitAudience, CliContext context) =>
        explicitAudience ?? context.Env(AudienceVariable) ?? KmsAuthOptions.DefaultAudience;

    public static string Issuer(string? explicitIssuer, CliContext context) =>
        explicitIssuer ?? context.Env(IssuerVariable) ?? KmsAuthOptions.DefaultDevIssuer;

    public static DevTokenIssuer Load(string keyFile, string issuer, string currentDirectory)
    {
        // Relative paths are relative to where the user ran the command, not to the process's start folder.
        var path = Path.GetFullPath(keyFile, currentDirectory);
        if (!File.Exists(path))
        {
            throw new CliException($"dev issuer key not found at {path}: run infra/local/up.sh first (it creates it)");
        }

        try
        {
            return DevTokenIssuer.Load(path, issuer);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read the dev issuer key at {path}: {e.Message}");
        }
        catch (Exception e) when (e is ArgumentException or CryptographicException)
        {
            throw new CliException($"{path} does not hold a PEM EC private key (the dev issuer key infra/local/up.sh creates)");
        }
    }
}
