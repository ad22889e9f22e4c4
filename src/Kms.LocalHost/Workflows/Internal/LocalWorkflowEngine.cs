using DurableTask.AzureStorage;
using DurableTask.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.Workflows.Internal;

/// <summary>
/// The Durable Task Azure Storage backend over Azurite behind the in-process gRPC sidecar (TaskHubGrpcServer), served
/// on a unix socket in a small Kestrel app of its own. The DurableTask worker and client of the host connect to it.
/// </summary>
/// <remarks>
/// Start: everything happens in StartingAsync, which the host runs before any StartAsync, so the sidecar listens
/// before the worker (a hosted service) connects. Stop, in the order that keeps results of work in progress:
/// StoppingAsync (before any StopAsync) tells the sidecar to take no new work and waits for the work items it holds
/// to be completed by the still-connected worker; then the worker stops; StoppedAsync (after every StopAsync) stops
/// Kestrel and the backend, which releases the task hub's leases for the next host.
/// </remarks>
internal sealed class LocalWorkflowEngine(
    IOptions<LocalWorkflowEngineOptions> options,
    LocalWorkflowStorage storage,
    SidecarEndpoint endpoint,
    ILoggerFactory loggerFactory) : IHostedLifecycleService, IAsyncDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger<LocalWorkflowEngine>();
    private WebApplication? _sidecar;
    private TrackingOrchestrationService? _backend;
    private bool _stopped;

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var hub = o.TaskHubName!;
        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = hub,
            StorageAccountClientProvider = storage.CreateClientProvider(),
            // Stable, so a restarted host is the same lease owner as before and takes its partitions back at once.
            WorkerId = $"{Environment.MachineName}-{hub}",
            PartitionCount = o.PartitionCount,
            MaxQueuePollingInterval = o.MaxQueuePollingInterval,
            WorkItemQueueVisibilityTimeout = o.WorkItemVisibilityTimeout,
            ControlQueueVisibilityTimeout = o.ControlQueueVisibilityTimeout,
            LeaseInterval = TimeSpan.FromSeconds(15),
            LeaseRenewInterval = TimeSpan.FromSeconds(5),
            LeaseAcquireInterval = TimeSpan.FromSeconds(5),
            // One app per task hub locally; the app lease also throws on a second StopAsync.
            UseAppLease = false,
            // Starting an instance id that is running fails instead of being silently ignored.
            ThrowExceptionOnInvalidDedupeStatus = true,
            LoggerFactory = loggerFactory,
        };

        var azureStorage = new AzureStorageOrchestrationService(settings);
        try
        {
            await azureStorage.CreateIfNotExistsAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"The local workflow engine could not create task hub '{hub}' in storage ({storage.Describe()}): {e.Message}", e);
        }

        _backend = new TrackingOrchestrationService(azureStorage);
        _sidecar = BuildSidecar(azureStorage, _backend);
        // Created now, so its started/stopping hooks are registered before the sidecar starts.
        _sidecar.Services.GetRequiredService<TaskHubGrpcServer>();
        endpoint.DeleteSocketFile();
        await _sidecar.StartAsync(cancellationToken).ConfigureAwait(false);
        _logger.SidecarListening(endpoint.SocketPath);
        _logger.EngineReady(hub, o.PartitionCount, o.WorkItemVisibilityTimeout);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_sidecar is null || _backend is null)
        {
            return;
        }

        _logger.Draining(_backend.InFlightCount);
        // The sidecar's dispatchers stop fetching; Kestrel and the worker stay up to finish what they hold.
        _sidecar.Lifetime.StopApplication();

        // Waiting longer than the visibility timeout is pointless: by then the work item is visible to others again.
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(options.Value.WorkItemVisibilityTimeout);
        if (!await _backend.WaitUntilIdleAsync(drain.Token).ConfigureAwait(false))
        {
            _logger.DrainIncomplete(_backend.InFlightCount);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // The worker has stopped by now (StoppedAsync follows every hosted service's StopAsync).
        await ShutdownAsync(cancellationToken, isForced: false).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Disposed without a stop (e.g. a test disposing its host): stop at once, like a crash but without leaking
        // dispatchers and lease renewals into the process.
        await ShutdownAsync(new CancellationToken(canceled: true), isForced: true).ConfigureAwait(false);
    }

    private async Task ShutdownAsync(CancellationToken cancellationToken, bool isForced)
    {
        if (_stopped || _sidecar is null || _backend is null)
        {
            return;
        }

        _stopped = true;
        _sidecar.Lifetime.StopApplication();
        try
        {
            await _sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Connections still open were aborted; nothing is lost that the visibility timeouts do not bring back.
        }

        try
        {
            // The sidecar also stops the backend once its dispatchers are idle; this joins that stop (or starts it).
            await _backend.StopAsync(isForced).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Stopping must not fail the host's shutdown; unreleased leases expire on their own.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.BackendStopFailed(e);
        }

        await _sidecar.DisposeAsync().ConfigureAwait(false);
        endpoint.DeleteSocketFile();
        _logger.EngineStopped(options.Value.TaskHubName!);
    }

    private WebApplication BuildSidecar(AzureStorageOrchestrationService azureStorage, TrackingOrchestrationService backend)
    {
        // An empty builder: no configuration sources (no ASPNETCORE_URLS to override the socket), no console lifetime.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = typeof(LocalWorkflowEngine).Assembly.GetName().Name });
        builder.Services.AddSingleton<ILoggerFactory>(new SidecarLoggerFactory(loggerFactory));
        builder.Services.AddLogging();
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenUnixSocket(endpoint.SocketPath, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddGrpc(grpc => grpc.EnableDetailedErrors = false);
        builder.Services.AddSingleton<IOrchestrationService>(backend);
        // Queries, purge and history go straight to the storage backend (the sidecar checks for those interfaces).
        builder.Services.AddSingleton<IOrchestrationServiceClient>(azureStorage);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        // The outer host owns Ctrl-C and SIGTERM; the sidecar stops when the engine says so.
        builder.Services.AddSingleton<IHostLifetime, SidecarLifetime>();
        var app = builder.Build();
        app.MapGrpcService<TaskHubGrpcServer>();
        return app;
    }

    private sealed class SidecarLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
