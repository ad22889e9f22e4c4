using Kms.LocalHost.EventGrid.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.EventGrid;

/// <summary>Registration and endpoint mapping of the local Event Grid topic stand-in (see docs/local-event-grid.md).</summary>
public static class LocalEventGridExtensions
{
    /// <summary>
    /// Registers the stand-in when <c>Kms:LocalEventGrid:Enabled</c> is true; otherwise registers nothing.
    /// Settings come from <c>LocalEventGrid</c> under <paramref name="kmsSection"/> (the <c>Kms</c> section), storage
    /// from its <c>Storage</c> section (ConnectionString and TablePrefix). Bad settings stop the host at start.
    /// </summary>
    public static IServiceCollection AddLocalEventGrid(this IServiceCollection services, IConfiguration kmsSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(kmsSection);

        var section = kmsSection.GetSection("LocalEventGrid");
        if (!section.GetValue<bool>(nameof(LocalEventGridOptions.Enabled)))
        {
            return services;
        }

        services.AddOptions<LocalEventGridOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalEventGridOptions>, LocalEventGridOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        var storage = kmsSection.GetSection("Storage");
        services.TryAddSingleton(_ => DeliveryStorage.Create(storage["ConnectionString"], storage["TablePrefix"]));
        services.TryAddSingleton<DeliverySignal>();
        services.TryAddSingleton<EventGridPublishEndpoint>();
        services.AddHostedService<LocalEventGridInitializer>();
        services.AddHostedService<EventGridDeliveryWorker>();
        return services;
    }

    /// <summary>Maps <c>POST /eventgrid/api/events</c> when the stand-in is registered; otherwise maps nothing.</summary>
    public static IEndpointRouteBuilder MapLocalEventGrid(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);

        if (endpoints.ServiceProvider.GetService<EventGridPublishEndpoint>() is not { } publish)
        {
            return endpoints;
        }

        // Not part of the KMS API: kept out of the OpenAPI document.
        endpoints.MapPost(EventGridPublishEndpoint.Path, publish.HandleAsync).WithName("LocalEventGridPublish").ExcludeFromDescription();
        return endpoints;
    }
}

/// <summary>Runs <see cref="LocalEventGridOptions.Validate"/> inside the options pipeline so failures read as option errors.</summary>
internal sealed class LocalEventGridOptionsValidator : IValidateOptions<LocalEventGridOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalEventGridOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
