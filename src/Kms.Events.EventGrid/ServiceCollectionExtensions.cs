using Azure.Core;
using Azure.Identity;
using Kms.Core.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Kms.Core.Ports;
using Kms.Core.Telemetry;

namespace Kms.Events.EventGrid;

public static class ServiceCollectionExtensions
{
    /// <summary>
    /// When <c>Kms:Events:Enabled</c> is true, registers the outbox dispatcher (a hosted service) publishing to the
    /// Event Grid topic configured in <paramref name="eventsSection"/> (see <see cref="EventGridOptions"/>), and
    /// <see cref="IEventDeliveryStatus"/> for health. Needs an <see cref="IOutboxStore"/> (Kms.Storage.Tables).
    /// </summary>
    public static IServiceCollection AddEventGridPublishing(this IServiceCollection services, IConfiguration eventsSection)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(eventsSection);
        if (!eventsSection.GetValue<bool>(nameof(KmsEventOptions.Enabled)))
        {
            return services;
        }

        services.AddOptions<EventGridOptions>().Bind(eventsSection).Validate(o =>
        {
            o.Validate();
            return true;
        }).ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<KmsMetrics>();
        // Without a topic key the publisher authenticates with a host-registered TokenCredential, else DefaultAzureCredential.
        services.TryAddSingleton<IEventPublisher>(sp => new EventGridEventPublisher(sp.GetRequiredService<IOptions<EventGridOptions>>().Value,
            () => sp.GetService<TokenCredential>() ?? new DefaultAzureCredential()));
        services.TryAddSingleton(sp => new OutboxDispatcher(sp.GetRequiredService<IOutboxStore>(), sp.GetRequiredService<IEventPublisher>(),
            sp.GetRequiredService<OutboxSignal>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<IOptions<EventGridOptions>>().Value,
            sp.GetRequiredService<ILogger<OutboxDispatcher>>(), sp.GetRequiredService<KmsMetrics>()));
        services.TryAddSingleton<IEventDeliveryStatus>(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<OutboxDispatcher>());
        return services;
    }
}
