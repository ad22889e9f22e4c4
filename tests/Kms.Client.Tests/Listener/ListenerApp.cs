using Kms.Testing;
using System.Collections.Concurrent;
using Kms.Client;
using Kms.Client.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kms.Client.Tests.Listener;

/// <summary>An ASP.NET Core app on Kestrel (free loopback port) with AddKmsEvents + MapKmsEvents and recording collaborators.</summary>
public sealed class ListenerApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ListenerApp(WebApplication app, Uri endpoint, RecordingInvalidator first, RecordingInvalidator second, RecordingHandler handler,
        ConcurrentQueue<string> logs)
    {
        _app = app;
        Endpoint = endpoint;
        First = first;
        Second = second;
        Handler = handler;
        Logs = logs;
    }

    /// <summary>The absolute URL of the mapped webhook.</summary>
    public Uri Endpoint { get; }

    public HttpClient Http { get; } = new();

    /// <summary>The two caches registered in DI: every event must reach both.</summary>
    public RecordingInvalidator First { get; }

    public RecordingInvalidator Second { get; }

    public RecordingHandler Handler { get; }

    /// <summary>Every log line the app wrote, as "&lt;level&gt; &lt;category&gt; ..." (<see cref="CapturingLoggerProvider"/>).</summary>
    public ConcurrentQueue<string> Logs { get; }

    /// <summary>The lines the listener itself wrote (ASP.NET Core's request logging is the app's business).</summary>
    public IEnumerable<string> ListenerLogs => Logs.Where(line => line.Split(' ', 3)[1].StartsWith("Kms.Client.AspNetCore", StringComparison.Ordinal));

    /// <param name="port">0: any free port.</param>
    /// <param name="configureServices">Runs before the recording collaborators are added, so caches it registers are evicted
    /// before <see cref="First"/>, <see cref="Second"/> and <see cref="Handler"/> see an event.</param>
    public static async Task<ListenerApp> StartAsync(Action<KmsEventsOptions>? configure = null, string path = "/kms/events", int port = 0,
        Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var logs = new ConcurrentQueue<string>();
        builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
        builder.Services.AddKmsEvents(configure);
        configureServices?.Invoke(builder.Services);
        RecordingInvalidator first = new(), second = new();
        RecordingHandler handler = new();
        builder.Services.AddSingleton<IKmsKeyCacheInvalidator>(first);
        builder.Services.AddSingleton<IKmsKeyCacheInvalidator>(second);
        builder.Services.AddSingleton<IKmsEventHandler>(handler);
        var app = builder.Build();
        app.MapKmsEvents(path);
        await app.StartAsync();
        return new ListenerApp(app, new Uri(new Uri(app.Urls.First()), path), first, second, handler, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>An <see cref="IKmsEventHandler"/> that records what it is given; it can be told to fail.</summary>
public sealed class RecordingHandler : IKmsEventHandler
{
    public ConcurrentQueue<KmsKeyEvent> Received { get; } = new();

    public int FailNext { get; set; }

    public Task HandleAsync(KmsKeyEvent kmsEvent, CancellationToken cancellationToken)
    {
        if (FailNext > 0)
        {
            FailNext--;
            throw new InvalidOperationException("pager unavailable (test)");
        }

        Received.Enqueue(kmsEvent);
        return Task.CompletedTask;
    }
}
