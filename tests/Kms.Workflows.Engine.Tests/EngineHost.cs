using System.Collections.Concurrent;
using Kms.LocalHost.Workflows;
using Kms.Testing;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kms.Workflows.Engine.Tests;

/// <summary>
/// The local workflow engine alone in a minimal generic host over the shared Azurite, on the given task hub, running
/// <see cref="TestTasks"/>. Every log line of Information or above is captured.
/// </summary>
public sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host, ConcurrentQueue<(LogLevel Level, string Line)> logs)
    {
        _host = host;
        Logs = logs;
        Client = host.Services.GetRequiredService<DurableTaskClient>();
    }

    public DurableTaskClient Client { get; }

    public ConcurrentQueue<(LogLevel Level, string Line)> Logs { get; }

    public IServiceProvider Services => _host.Services;

    public static IHost Build(IReadOnlyDictionary<string, string?> settings, ConcurrentQueue<(LogLevel Level, string Line)> logs)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Information).AddProvider(new CapturingLoggerProvider(logs));
        builder.Services.AddLocalWorkflowEngine(builder.Configuration.GetSection("Kms"), TestTasks.Register);
        return builder.Build();
    }

    public static async Task<EngineHost> StartAsync(string taskHubName)
    {
        var logs = new ConcurrentQueue<(LogLevel, string)>();
        var host = Build(new Dictionary<string, string?>
        {
            ["Kms:Storage:ConnectionString"] = LocalStack.Require("Kms:Storage:ConnectionString"),
            ["Kms:Workflows:TaskHubName"] = taskHubName,
            ["Kms:Workflows:WorkItemVisibilityTimeout"] = "00:00:30",
            ["Kms:Workflows:ControlQueueVisibilityTimeout"] = "00:00:10",
        }, logs);
        await host.StartAsync();
        return new EngineHost(host, logs);
    }

    /// <summary>Stops the host as Ctrl-C would, then disposes it.</summary>
    public async Task StopAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    /// <summary>Schedules <typeparamref name="TOrchestrator"/> under <paramref name="instanceId"/> (never replacing a live one).</summary>
    public Task<string> ScheduleAsync<TOrchestrator>(string instanceId, object? input) =>
        Client.ScheduleNewOrchestrationInstanceAsync(typeof(TOrchestrator).Name, input,
            new StartOrchestrationOptions { InstanceId = instanceId }.WithDedupeStatuses(OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running));

    /// <summary>Polls the instance until <paramref name="done"/> holds (fails after <paramref name="timeoutSeconds"/>).</summary>
    public async Task<OrchestrationMetadata> WaitForAsync(string instanceId, Func<OrchestrationMetadata, bool> done, int timeoutSeconds = 90)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        OrchestrationMetadata? last = null;
        while (!timeout.IsCancellationRequested)
        {
            last = await Client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, CancellationToken.None);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(200, CancellationToken.None);
        }

        throw new TimeoutException($"{instanceId} did not reach the expected state in {timeoutSeconds} s; last: {last?.RuntimeStatus} {last?.SerializedCustomStatus}");
    }

    public Task<OrchestrationMetadata> WaitForStatusAsync(string instanceId, OrchestrationRuntimeStatus status) =>
        WaitForAsync(instanceId, m => m.RuntimeStatus == status);

    public Task<OrchestrationMetadata> WaitForCompletionAsync(string instanceId) => WaitForAsync(instanceId, m => m.IsCompleted);

    public IEnumerable<string> ErrorLines() => Logs.Where(l => l.Level >= LogLevel.Error).Select(l => l.Line);

    private sealed class CapturingLoggerProvider(ConcurrentQueue<(LogLevel, string)> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(ConcurrentQueue<(LogLevel, string)> sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                sink.Enqueue((logLevel, $"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} {exception}"));
            }
        }
    }
}

/// <summary>One engine host for a whole test class, on a task hub of its own.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public string TaskHubName { get; } = LocalStack.UniqueName("wfe");

    public EngineHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await EngineHost.StartAsync(TaskHubName);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
