using Kms.LocalHost.EventGrid.Internal;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.EventGrid;

/// <summary>
/// Creates the delivery table and the dead-letter container before the host starts serving (StartingAsync runs
/// before Kestrel listens), so the first publish never finds them missing. Idempotent.
/// </summary>
internal sealed class LocalEventGridInitializer(DeliveryStorage storage, IOptions<LocalEventGridOptions> options, ILogger<LocalEventGridInitializer> logger)
    : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        logger.Ready(storage.Deliveries.Name, storage.DeadLetters.Name, options.Value.Subscriptions.Count);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
