using System.Net;
using System.Net.Http.Headers;

namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>The result of one request to a subscriber.</summary>
internal readonly record struct WebhookResult(bool Succeeded, string Outcome, int? StatusCode);

/// <summary>Talks to webhook subscribers the way Event Grid does for CloudEvents 1.0 subscriptions.</summary>
internal sealed class WebhookClient(HttpClient http, TimeSpan timeout)
{
    public const string RequestOriginHeader = "WebHook-Request-Origin";
    public const string AllowedOriginHeader = "WebHook-Allowed-Origin";
    public const string Origin = "eventgrid.azure.net";

    private static readonly MediaTypeHeaderValue StructuredCloudEvent = MediaTypeHeaderValue.Parse("application/cloudevents+json; charset=utf-8");

    /// <summary>
    /// The CloudEvents webhook abuse protection handshake: the endpoint must agree to receive from this origin
    /// (2xx and WebHook-Allowed-Origin naming it or "*") before any event is pushed to it.
    /// </summary>
    public async Task<WebhookResult> ValidateAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, endpoint);
        request.Headers.TryAddWithoutValidation(RequestOriginHeader, Origin);
        return await SendAsync(request, response =>
            response.Headers.TryGetValues(AllowedOriginHeader, out var values)
            && values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries))
                .Any(v => v == "*" || string.Equals(v, Origin, StringComparison.OrdinalIgnoreCase)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Delivers one event in structured mode: the body is the event's JSON as published.</summary>
    public async Task<WebhookResult> DeliverAsync(Uri endpoint, byte[] eventJson, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(eventJson) };
        request.Content.Headers.ContentType = StructuredCloudEvent;
        request.Headers.TryAddWithoutValidation(RequestOriginHeader, Origin);
        return await SendAsync(request, _ => true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WebhookResult> SendAsync(HttpRequestMessage request, Func<HttpResponseMessage, bool> accepted, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var outcome = DeliveryOutcomes.ForStatus(response.StatusCode);
            return response.IsSuccessStatusCode && !accepted(response)
                ? new WebhookResult(false, DeliveryOutcomes.Forbidden, status)
                : new WebhookResult(response.IsSuccessStatusCode, outcome, status);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookResult(false, DeliveryOutcomes.TimedOut, null);
        }
        catch (HttpRequestException)
        {
            // Refused, reset or unreachable: the subscriber is down; the caller retries later.
            return new WebhookResult(false, DeliveryOutcomes.ConnectionFailed, null);
        }
    }

    /// <summary>One pooled client for every subscriber. A redirect counts as a failed delivery rather than sending the event elsewhere.</summary>
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        // Re-resolve names now and then, so a subscriber that moved is found again.
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };
}
