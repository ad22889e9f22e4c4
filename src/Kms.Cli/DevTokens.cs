using Kms.Api.Security;

namespace Kms.Cli;

/// <summary>Where the local development issuer's settings come from: options, then the environment, then the repository's data folder.</summary>
internal static class DevTokens
{
    public static string KeyFile(string? explicitPath, string currentDirectory)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return explicitPath;
        }

        if (Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile") is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        var root = RepoRoot(currentDirectory) ?? currentDirectory;
        return Path.Combine(root, ".data", "local", "dev-issuer.pem");
    }

    public static string Audience(string? explicitAudience) =>
        explicitAudience ?? Environment.GetEnvironmentVariable("Kms__Auth__Audience") ?? KmsAuthOptions.DefaultAudience;

    public static string Issuer(string? explicitIssuer) =>
        explicitIssuer ?? Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__Issuer") ?? KmsAuthOptions.DefaultDevIssuer;

    public static DevTokenIssuer Load(string keyFile, string issuer) =>
        File.Exists(keyFile)
            ? DevTokenIssuer.Load(keyFile, issuer)
            : throw new CliException($"dev issuer key not found at {keyFile}: run infra/local/up.sh first (it creates it), or pass --key-file");

    /// <summary>The folder holding KmsFunctions.sln at or above <paramref name="directory"/>.</summary>
    public static string? RepoRoot(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KmsFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}

/// <summary>A failure the CLI reports as one line on stderr with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
