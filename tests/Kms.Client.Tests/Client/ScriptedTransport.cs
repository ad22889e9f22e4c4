using System.Net;
using System.Text;
using Azure.Core.Pipeline;

namespace Kms.Client.Tests.Client;

/// <summary>
/// A fake transport for pipeline logic tests: Azure.Core's HttpClientTransport over a handler that answers from a
/// script (a status and optional body per attempt, or a transport failure) and counts the attempts that reached it.
/// </summary>
internal sealed class ScriptedTransport
{
    private readonly Queue<Func<HttpResponseMessage>> _script = new();
    private readonly Func<HttpResponseMessage> _otherwise;

    public ScriptedTransport(Func<HttpResponseMessage>? otherwise = null)
    {
        _otherwise = otherwise ?? (() => Json(HttpStatusCode.OK, """{"random":"AAEC"}"""));
        Transport = new HttpClientTransport(new HttpClient(new Handler(this)));
    }

    public HttpPipelineTransport Transport { get; }

    public int Attempts { get; private set; }

    public List<HttpRequestMessage> Requests { get; } = [];

    /// <summary>The bodies sent, read when they were sent (the transport disposes them afterwards).</summary>
    public List<string?> Bodies { get; } = [];

    public ScriptedTransport Then(Func<HttpResponseMessage> answer, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            _script.Enqueue(answer);
        }

        return this;
    }

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string contentType = "application/json") =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, contentType) };

    public static HttpResponseMessage Problem(HttpStatusCode status, string code, string detail, int? retryAfterSeconds = null)
    {
        var title = code;
        var response = Json(status, $$"""{"type":"urn:kms:error:{{code}}","title":"{{title}}","status":{{(int)status}},"detail":"{{detail}}","code":"{{code}}","requestId":"req-1"}""",
            "application/problem+json");
        if (retryAfterSeconds is { } seconds)
        {
            response.Headers.Add("Retry-After", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return response;
    }

    public static HttpResponseMessage Unreachable() => throw new HttpRequestException("Connection refused (fake)");

    private sealed class Handler(ScriptedTransport owner) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            HttpResponseMessage answer;
            lock (owner)
            {
                owner.Attempts++;
                owner.Requests.Add(request);
                owner.Bodies.Add(body);
                answer = (owner._script.Count > 0 ? owner._script.Dequeue() : owner._otherwise)();
            }

            return answer;
        }
    }
}
