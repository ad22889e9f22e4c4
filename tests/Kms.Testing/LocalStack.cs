using Microsoft.Extensions.Configuration;

namespace Kms.Testing;

/// <summary>
/// Settings of the real local stack the integration tests run against. infra/local/test.sh starts
/// SoftHSM2 and Azurite on free ports with throw-away data folders and exports these as environment
/// variables (the same names the hosts read, e.g. Kms__Hsm__TokenLabel).
/// </summary>
public static class LocalStack
{
    private static readonly Lazy<IConfiguration> Config = new(() => new ConfigurationBuilder().AddEnvironmentVariables().Build());

    /// <summary>Configuration from the environment: the <c>Kms</c> section holds Hsm and Storage settings.</summary>
    public static IConfiguration Configuration
    {
        get
        {
            Require("Kms:Hsm:TokenLabel");
            Require("Kms:Storage:ConnectionString");
            return Config.Value;
        }
    }

    public static string Require(string key) =>
        Config.Value[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"Setting '{key}' is missing: integration tests run against the local stack; start them with infra/local/test.sh.");

    /// <summary>A name no other test run uses, for tables and labels (letters and digits only).</summary>
    public static string UniqueName(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];
}
