using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Messaging.EventGrid;
using Azure.Storage.Blobs;
using Kms.LocalHost.EventGrid;
using Kms.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Kms.LocalHost.Tests;

/// <summary>
/// The local Event Grid stand-in alone in a minimal WebApplication on a free loopback port (no HSM, no KMS API),
/// on tables of its own in the shared Azurite. Short retry delays keep failure tests quick.
/// </summary>
public sealed class StandInHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StandInHost(WebApplication app, string tablePrefix, string accessKey, ConcurrentQueue<string> logs)
    {
        _app = app;
        TablePrefix = tablePrefix;
        AccessKey = accessKey;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.First());
        PublishUri = new Uri(BaseAddress, "/eventgrid/api/events");
    }

    public string TablePrefix { get; }

    public string AccessKey { get; }

    public Uri BaseAddress { get; }

    public Uri PublishUri { get; }

    /// <summary>Every log line the stand-in wrote (message and exception text).</summary>
    public ConcurrentQueue<string> Logs { get; }

    /// <summary>A real publisher, as the KMS uses in Azure (plain http works on loopback).</summary>
    public EventGridPublisherClient CreatePublisher(string? key = null) => new(PublishUri, new AzureKeyCredential(key ?? AccessKey));

    /// <summary>The settings of a stand-in with one subscription per receiver (named "sub0", "sub1"...).</summary>
    public static Dictionary<string, string?> Settings(string accessKey, params WebhookReceiver[] receivers)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kms:LocalEventGrid:Enabled"] = "true",
            ["Kms:LocalEventGrid:AccessKey"] = accessKey,
            ["Kms:LocalEventGrid:RetryInitialDelay"] = "00:00:00.200",
            ["Kms:LocalEventGrid:RetryMaxDelay"] = "00:00:01",
            ["Kms:LocalEventGrid:PollInterval"] = "00:00:00.200",
            ["Kms:LocalEventGrid:DeliveryTimeout"] = "00:00:10",
        };
        for (var i = 0; i < receivers.Length; i++)
        {
            settings[$"Kms:LocalEventGrid:Subscriptions:{i}:Name"] = $"sub{i}";
            settings[$"Kms:LocalEventGrid:Subscriptions:{i}:Endpoint"] = receivers[i].Endpoint.ToString();
        }

        return settings;
    }

    /// <summary>Starts a stand-in on <paramref name="tablePrefix"/>'s tables (new ones, or those of an earlier stand-in).</summary>
    public static async Task<StandInHost> StartAsync(string tablePrefix, IReadOnlyDictionary<string, string?> settings)
    {
        var logs = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kms:Storage:ConnectionString"] = LocalStack.Require("Kms:Storage:ConnectionString"),
            ["Kms:Storage:TablePrefix"] = tablePrefix,
            // Kms.LocalHost's appsettings.json is copied next to the tests; debug lines are what the log tests inspect.
            ["Logging:LogLevel:Default"] = "Debug",
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
        builder.Services.AddLocalEventGrid(builder.Configuration.GetSection("Kms"));
        var app = builder.Build();
        app.MapLocalEventGrid();
        await app.StartAsync();
        return new StandInHost(app, tablePrefix, settings.GetValueOrDefault("Kms:LocalEventGrid:AccessKey") ?? "", logs);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Direct access to the stand-in's storage, to look at pending rows and dead letters, and to clean up.</summary>
public sealed class StandInStorage(string tablePrefix) : IAsyncDisposable
{
    private static readonly string ConnectionString = LocalStack.Require("Kms:Storage:ConnectionString");

    public string TablePrefix { get; } = tablePrefix;

    public TableClient Deliveries { get; } = new(ConnectionString, tablePrefix + "egdeliveries");

    public BlobContainerClient DeadLetters { get; } = new(ConnectionString, (tablePrefix + "-eventgrid-deadletter").ToLowerInvariant());

    public async Task<List<TableEntity>> PendingAsync()
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Deliveries.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        return rows;
    }

    /// <summary>Dead-letter blobs: name and content.</summary>
    public async Task<List<(string Name, BinaryData Content)>> DeadLettersAsync()
    {
        var blobs = new List<(string, BinaryData)>();
        if (!await DeadLetters.ExistsAsync())
        {
            return blobs;
        }

        await foreach (var item in DeadLetters.GetBlobsAsync())
        {
            var content = await DeadLetters.GetBlobClient(item.Name).DownloadContentAsync();
            blobs.Add((item.Name, content.Value.Content));
        }

        return blobs;
    }

    public async ValueTask DisposeAsync()
    {
        await Deliveries.DeleteAsync();
        await DeadLetters.DeleteIfExistsAsync();
    }
}

internal sealed class CapturingLoggerProvider(ConcurrentQueue<string> logs) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(logs);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> logs) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)} {exception}");
    }
}

/// <summary>Waits for what the stand-in does in the background, with generous bounds (never asserting durations).</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await HoldsAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting until {what}.");
            }

            await Task.Delay(100);
        }
    }
}
