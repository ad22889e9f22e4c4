using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;

namespace Kms.Cli.Drill;

/// <summary>A CloudEvents webhook subscriber heard by the drill.</summary>
/// <param name="ReceivedAt">A <see cref="TimeProvider.GetTimestamp"/> value of the drill's clock.</param>
internal sealed record ReceivedEvent(string Id, string Type, string? Subject, string? KeyId, int? Version, long ReceivedAt);

/// <summary>
/// The drill's own Event Grid webhook subscriber on a loopback URL: it answers the CloudEvents abuse-protection handshake
/// (OPTIONS) and records every event POSTed to it (structured mode, one event or a batch). Subscriptions of the local
/// Event Grid stand-in are configuration, so the URL is one a subscription of the KMS already points at.
/// </summary>
internal sealed class DrillListener : IAsyncDisposable
{
    private const int MaxBody = 1024 * 1024;

    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, ReceivedEvent> _events = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly string _path;
    private Task _loop = Task.CompletedTask;
    private int _handshakes;

    private DrillListener(Uri url, TimeProvider time)
    {
        Url = url;
        _time = time;
        _path = url.AbsolutePath.TrimEnd('/');
        // HttpListener serves prefixes that end in '/': take the whole port and check the path per request.
        _listener.Prefixes.Add($"{url.Scheme}://{url.Host}:{url.Port}/");
    }

    public Uri Url { get; }

    /// <summary>How many handshakes (OPTIONS) the topic made: zero means it never reached this URL.</summary>
    public int Handshakes => Volatile.Read(ref _handshakes);

    public IReadOnlyCollection<ReceivedEvent> Events => _events.Values.ToArray();

    /// <summary>Binds the URL's port on loopback; fails with a usage-like message when the port is taken.</summary>
    public static DrillListener Start(Uri url, TimeProvider time)
    {
        var listener = new DrillListener(url, time);
        try
        {
            listener._listener.Start();
        }
        catch (HttpListenerException e)
        {
            listener._listener.Close();
            throw new CliException($"cannot listen on {url}: {e.Message}", ExitCodes.Failure, "is the port taken (another drill, the subscriber it stands in for)?");
        }

        listener._loop = Task.Run(listener.AcceptAsync);
        return listener;
    }

    /// <summary>The first event that matches, waiting until <paramref name="deadline"/> (a timestamp of the drill's clock).</summary>
    public async Task<ReceivedEvent?> WaitForAsync(Func<ReceivedEvent, bool> match, long deadline)
    {
        while (true)
        {
            if (_events.Values.Where(match).OrderBy(e => e.ReceivedAt).FirstOrDefault() is { } found)
            {
                return found;
            }

            if (_time.GetTimestamp() >= deadline)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), _time);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            response.StatusCode = await AnswerAsync(context.Request, response);
        }
#pragma warning disable CA1031 // A subscriber answers every request; a malformed one gets 400, never takes the drill down.
        catch (Exception)
#pragma warning restore CA1031
        {
            response.StatusCode = 400;
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The topic hung up or the drill is stopping.
            }
        }
    }

    private async Task<int> AnswerAsync(HttpListenerRequest request, HttpListenerResponse response)
    {
        if (!string.Equals(request.Url?.AbsolutePath.TrimEnd('/'), _path, StringComparison.Ordinal))
        {
            return 404;
        }

        if (request.HttpMethod == "OPTIONS")
        {
            // CloudEvents webhook abuse protection: echo the origin the topic announces.
            var origin = request.Headers["WebHook-Request-Origin"];
            if (string.IsNullOrEmpty(origin))
            {
                return 400;
            }

            response.Headers["WebHook-Allowed-Origin"] = origin;
            Interlocked.Increment(ref _handshakes);
            return 200;
        }

        if (request.HttpMethod != "POST")
        {
            return 405;
        }

        var receivedAt = _time.GetTimestamp();
        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body);
        if (body.Length > MaxBody)
        {
            return 413;
        }

        using var document = JsonDocument.Parse(body.ToArray());
        var root = document.RootElement;
        var events = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().ToArray() : [root];
        foreach (var cloudEvent in events)
        {
            if (Parse(cloudEvent, receivedAt) is not { } parsed)
            {
                return 400;
            }

            _events.TryAdd(parsed.Id, parsed); // at least once: keep the first arrival of an id
        }

        return 200;
    }

    /// <summary>The CloudEvent's id, type and subject and, for KMS key events, the key id and version of its data.</summary>
    internal static ReceivedEvent? Parse(JsonElement cloudEvent, long receivedAt)
    {
        if (cloudEvent.ValueKind != JsonValueKind.Object
            || String(cloudEvent, "id") is not { } id || String(cloudEvent, "type") is not { } type)
        {
            return null;
        }

        string? keyId = null;
        int? version = null;
        // The KMS publishes its data as binary (data_base64, JSON inside); other publishers put the JSON in data.
        using var decoded = String(cloudEvent, "data_base64") is { } base64 ? JsonDocument.Parse(Convert.FromBase64String(base64)) : null;
        var data = decoded?.RootElement ?? (cloudEvent.TryGetProperty("data", out var inline) ? inline : default);
        if (data.ValueKind == JsonValueKind.Object)
        {
            keyId = String(data, "keyId");
            version = data.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
        }

        return new ReceivedEvent(id, type, String(cloudEvent, "subject"), keyId, version, receivedAt);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
