using Kms.Storage.Tables;
using Microsoft.Extensions.Hosting;

namespace Kms.Functions;

/// <summary>Creates the tables before the worker serves requests.</summary>
internal sealed class StorageStartup : IHostedService
{
    private readonly TableStoreInitializer _initializer;

    public StorageStartup(TableStoreInitializer initializer) => _initializer = initializer;

    public Task StartAsync(CancellationToken cancellationToken) => _initializer.EnsureCreatedAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
