using System.Collections.Concurrent;
using Azure.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kms.LocalHost.Tests;

/// <summary>What a webhook receiver saw: the request method, in arrival order, and for a POST the event it carried.</summary>
public sealed record ReceivedRequest(string Method, string? Origin, string? ContentType, byte[] Body, int AnsweredStatus);

/// <summary>
/// A small real webhook subscriber on Kestrel: answers the CloudEvents handshake (when allowed) and records every
/// request. Its answers can be switched while it runs, and it can be stopped and started again on the same port.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    private WebhookReceiver()
    {
    }

    /// <summary>Whether the OPTIONS handshake names eventgrid.azure.net as allowed (otherwise 200 without it).</summary>
    public bool AllowHandshake { get; set; } = true;

    /// <summary>The status POSTs get; only events answered with 2xx count as received.</summary>
    public int PostStatus { get; set; } = StatusCodes.Status200OK;

    /// <summary>Time each POST takes to answer, to keep deliveries in flight.</summary>
    public TimeSpan PostDelay { get; set; }

    public ConcurrentQueue<ReceivedRequest> Requests { get; } = new();

    public int Port { get; private set; }

    public Uri Endpoint => new($"http://127.0.0.1:{Port}/webhook");

    public IEnumerable<ReceivedRequest> Posts => Requests.Where(r => r.Method == HttpMethods.Post);

    /// <summary>Events POSTed and answered with 2xx, parsed as a subscriber would.</summary>
    public IReadOnlyList<CloudEvent> Events =>
        Posts.Where(r => r.AnsweredStatus is >= 200 and < 300).Select(r => CloudEvent.Parse(BinaryData.FromBytes(r.Body))!).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        await receiver.StartAsync(port: 0);
        return receiver;
    }

    /// <summary>Starts (again) on <paramref name="port"/>, or on a free port when 0.</summary>
    public async Task StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        _app = app;
        Port = new Uri(app.Urls.First()).Port;
    }

    /// <summary>Stops listening (the subscriber is down) until <see cref="RestartAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same port, retrying while the port is still being released.</summary>
    public async Task RestartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync(Port);
                return;
            }
            catch (IOException) when (attempt < 20)
            {
                await Task.Delay(500);
            }
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        var origin = request.Headers["WebHook-Request-Origin"].FirstOrDefault();
        int status;
        if (HttpMethods.IsOptions(request.Method))
        {
            status = StatusCodes.Status200OK;
            if (AllowHandshake && origin == "eventgrid.azure.net")
            {
                http.Response.Headers["WebHook-Allowed-Origin"] = "eventgrid.azure.net";
            }
        }
        else
        {
            if (PostDelay > TimeSpan.Zero)
            {
                await Task.Delay(PostDelay);
            }

            status = PostStatus;
        }

        Requests.Enqueue(new ReceivedRequest(request.Method, origin, request.ContentType, body.ToArray(), status));
        http.Response.StatusCode = status;
    }
}
