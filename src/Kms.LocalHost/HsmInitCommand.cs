using Kms.Hsm.Pkcs11;

namespace Kms.LocalHost;

/// <summary>
/// <c>Kms.LocalHost init-hsm</c>: the key ceremony for the local token. Creates the root wrapping key only if
/// no key with its label exists, so running it again changes nothing.
/// </summary>
internal static class HsmInitCommand
{
    public static int Run(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var options = configuration.GetSection("Kms:Hsm").Get<Pkcs11HsmOptions>() ?? new Pkcs11HsmOptions();
        try
        {
            options.Validate();
            var created = RootKeyCeremony.EnsureRootKey(options);
            Console.WriteLine(created
                ? $"Created root wrapping key '{options.RootKeyLabel}' in token '{options.TokenLabel}'."
                : $"Root wrapping key '{options.RootKeyLabel}' already exists in token '{options.TokenLabel}'; nothing changed.");
            return 0;
        }
#pragma warning disable CA1031 // A command-line tool reports any failure as a message and an exit code.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine($"init-hsm failed: {e.Message}");
            return 1;
        }
    }
}
