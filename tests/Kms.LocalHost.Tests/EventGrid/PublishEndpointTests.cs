using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Messaging;
using Kms.Testing;

namespace Kms.LocalHost.Tests.EventGrid;

/// <summary>The publish endpoint accepts what EventGridPublisherClient sends and refuses the rest like Event Grid.</summary>
public sealed class PublishEndpointTests : IAsyncLifetime
{
    private readonly string _prefix = LocalStack.UniqueName("eg");
    private readonly StandInStorage _storage;
    private WebhookReceiver _receiver = null!;
    private StandInHost _host = null!;

    public PublishEndpointTests() => _storage = new StandInStorage(_prefix);

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _host = await StandInHost.StartAsync(_prefix, StandInHost.Settings("key-" + Guid.NewGuid().ToString("N"), _receiver));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
        await _storage.DisposeAsync();
    }

    [Fact]
    public async Task SendEvents_WrongKey_Returns401AndStoresNothing()
    {
        var publisher = _host.CreatePublisher("not-the-key");

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => publisher.SendEventsAsync([NewEvent()]));

        Assert.Equal(401, error.Status);
        Assert.Empty(await _storage.PendingAsync());
    }

    [Fact]
    public async Task Post_MissingKey_Returns401WithEventGridError()
    {
        using var http = new HttpClient();

        using var response = await http.PostAsync(_host.PublishUri, BatchContent("[]"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertErrorAsync(response, "Unauthorized");
    }

    [Fact]
    public async Task Post_OtherContentType_Returns400()
    {
        using var http = KeyedClient();
        var body = new StringContent(JsonSerializer.Serialize(new[] { NewEvent() }), Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(_host.PublishUri, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertErrorAsync(response, "BadRequest");
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[{\"specversion\":\"1.0\",\"id\":\"e1\",\"type\":\"t\"}]")]
    [InlineData("[{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"/kms\"}]")]
    [InlineData("{\"specversion\":\"1.0\",\"id\":\"e1\",\"source\":\"/kms\",\"type\":\"t\"}")]
    [InlineData("[]")]
    public async Task Post_MalformedBatch_Returns400AndStoresNothing(string body)
    {
        using var http = KeyedClient();

        using var response = await http.PostAsync(_host.PublishUri, BatchContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await AssertErrorAsync(response, "BadRequest");
        Assert.Empty(await _storage.PendingAsync());
    }

    [Fact]
    public async Task SendEvents_EventOver64KiB_Returns413AndStoresNothing()
    {
        var large = new CloudEvent("/kms", "Kms.Test", new { padding = new string('x', 70 * 1024) });

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => _host.CreatePublisher().SendEventsAsync([NewEvent(), large]));

        Assert.Equal(413, error.Status);
        Assert.Empty(await _storage.PendingAsync());
    }

    [Fact]
    public async Task Post_BatchOver1MB_Returns413()
    {
        using var http = KeyedClient();
        var events = Enumerable.Range(0, 40).Select(_ => new CloudEvent("/kms", "Kms.Test", new { padding = new string('x', 30 * 1024) }));
        var body = JsonSerializer.Serialize(events);
        Assert.True(Encoding.UTF8.GetByteCount(body) > 1024 * 1024);

        using var response = await http.PostAsync(_host.PublishUri, BatchContent(body));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await AssertErrorAsync(response, "PayloadTooLarge");
        Assert.Empty(await _storage.PendingAsync());
    }

    [Fact]
    public async Task SendEvents_ValidBatch_LogsNeitherKeyNorData()
    {
        const string secretData = "do-not-log-this-value";
        var cloudEvent = new CloudEvent("/kms", "Kms.Test", new { secret = secretData }) { Subject = "/keys/logged" };

        await _host.CreatePublisher().SendEventsAsync([cloudEvent]);
        await Eventually.HoldsAsync(() => _receiver.Events.Count == 1, "the event is delivered");

        var logs = string.Join('\n', _host.Logs);
        Assert.True(logs.Contains(cloudEvent.Id, StringComparison.Ordinal), logs);
        Assert.DoesNotContain(_host.AccessKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(secretData, logs, StringComparison.Ordinal);
    }

    private HttpClient KeyedClient()
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Add("aeg-sas-key", _host.AccessKey);
        return http;
    }

    private static StringContent BatchContent(string json)
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents-batch+json; charset=utf-8");
        return content;
    }

    private static CloudEvent NewEvent() => new("/kms", "Kms.Test", new { n = 1 });

    private static async Task AssertErrorAsync(HttpResponseMessage response, string code)
    {
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.RootElement.GetProperty("error").GetProperty("message").GetString()));
    }
}
