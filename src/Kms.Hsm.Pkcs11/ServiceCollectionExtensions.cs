using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Hsm.Pkcs11;

/// <summary>Registers the PKCS#11 connector as the process's <see cref="IHsm"/> and <see cref="IHsmRootKeys"/>.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>Binds <see cref="Pkcs11HsmOptions"/> from <paramref name="configuration"/> (the <c>Kms:Hsm</c> section) and registers <see cref="Pkcs11Hsm"/>.</summary>
    public static IServiceCollection AddPkcs11Hsm(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<Pkcs11HsmOptions>().Bind(configuration);
        return AddCore(services);
    }

    /// <summary>Configures <see cref="Pkcs11HsmOptions"/> in code and registers <see cref="Pkcs11Hsm"/>.</summary>
    public static IServiceCollection AddPkcs11Hsm(this IServiceCollection services, Action<Pkcs11HsmOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<Pkcs11HsmOptions>().Configure(configure);
        return AddCore(services);
    }

    private static IServiceCollection AddCore(IServiceCollection services)
    {
        // Validated when the host starts (and at the latest on first use), so a bad setting stops the host early.
        services.AddOptions<Pkcs11HsmOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Pkcs11HsmOptions>, Pkcs11HsmOptionsValidator>());
        services.TryAddSingleton(provider => new Pkcs11Hsm(
            provider.GetRequiredService<IOptions<Pkcs11HsmOptions>>(),
            provider.GetService<ILogger<Pkcs11Hsm>>(),
            provider.GetService<TimeProvider>(),
            provider.GetService<KmsMetrics>()));
        services.TryAddSingleton<IHsm>(provider => provider.GetRequiredService<Pkcs11Hsm>());
        services.TryAddSingleton<IHsmRootKeys>(provider => new Internal.RootKeysView(provider.GetRequiredService<Pkcs11Hsm>()));
        return services;
    }

    private sealed class Pkcs11HsmOptionsValidator : IValidateOptions<Pkcs11HsmOptions>
    {
        public ValidateOptionsResult Validate(string? name, Pkcs11HsmOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
