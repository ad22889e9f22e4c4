using Kms.Client.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kms.Client.AspNetCore;

/// <summary>Registers the KMS revocation listener and its polling fallback.</summary>
public static class KmsEventsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the webhook that <see cref="KmsEventsEndpointRouteBuilderExtensions.MapKmsEvents"/> maps. Events evict from
    /// every <see cref="IKmsKeyCacheInvalidator"/> in the container and then reach every <see cref="IKmsEventHandler"/>.
    /// Options are validated when the host starts.
    /// </summary>
    public static IServiceCollection AddKmsEvents(this IServiceCollection services, Action<KmsEventsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<KmsEventsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KmsEventsOptions>, KmsEventsOptionsValidator>());
        services.TryAddSingleton<KmsEventsEndpoint>();
        return services;
    }

    /// <summary>
    /// Runs <see cref="KmsRevocationPoller"/> as a hosted service. It asks the KMS through the <see cref="KmsClient"/>
    /// registered in the container (<see cref="KmsClientKeyStateSource"/>) unless the app registers its own
    /// <see cref="IKmsKeyStateSource"/> (before or after this call). Detection takes up to one interval: prefer the webhook
    /// where the service can receive one.
    /// </summary>
    public static IServiceCollection AddKmsRevocationPolling(this IServiceCollection services, Action<KmsRevocationPollingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<KmsRevocationPollingOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KmsRevocationPollingOptions>, KmsRevocationPollingOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        // TryAdd: a source the app registered earlier wins, and one registered later is resolved instead (last wins).
        services.TryAddSingleton<IKmsKeyStateSource, KmsClientKeyStateSource>();
        services.AddHostedService<KmsRevocationPoller>();
        return services;
    }
}
