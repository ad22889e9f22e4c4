using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Messaging;
using Kms.Client.AspNetCore;

namespace Kms.Client.Tests.Listener;

/// <summary>MapKmsEvents in a real ASP.NET Core app on Kestrel, driven over HTTP the way Event Grid and the local stand-in do.</summary>
public sealed class KmsEventsEndpointTests
{
    private const string Secret = "s3cret-for-the-listener-tests";

    [Fact]
    public async Task Handshake_WithRequestOrigin_Returns200EchoingOriginAndRate()
    {
        await using var app = await ListenerApp.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, app.Endpoint);
        request.Headers.Add("WebHook-Request-Origin", "eventgrid.azure.net");
        request.Headers.Add("WebHook-Request-Rate", "120");

        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("eventgrid.azure.net", response.Headers.GetValues("WebHook-Allowed-Origin").Single());
        Assert.Equal("*", response.Headers.GetValues("WebHook-Allowed-Rate").Single());
        Assert.Empty(app.First.Calls);
    }

    [Fact]
    public async Task Handshake_WithoutRequestOrigin_Returns400()
    {
        await using var app = await ListenerApp.StartAsync();

        using var response = await app.Http.SendAsync(new HttpRequestMessage(HttpMethod.Options, app.Endpoint));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("WebHook-Allowed-Origin"));
    }

    [Fact]
    public async Task Handshake_OriginOutsideAllowedOrigins_Returns403_AllowedOriginGetsConfiguredRate()
    {
        await using var app = await ListenerApp.StartAsync(o =>
        {
            o.AllowedOrigins.Add("eventgrid.azure.net");
            o.AllowedRate = 600;
        });

        using var stranger = await app.Http.SendAsync(Handshake(app.Endpoint, "attacker.example"));
        using var eventGrid = await app.Http.SendAsync(Handshake(app.Endpoint, "EventGrid.Azure.Net"));

        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
        Assert.False(stranger.Headers.Contains("WebHook-Allowed-Origin"));
        Assert.Equal(HttpStatusCode.OK, eventGrid.StatusCode);
        Assert.Equal("600", eventGrid.Headers.GetValues("WebHook-Allowed-Rate").Single());
    }

    [Fact]
    public async Task Post_SingleKeyVersionRevoked_EvictsThatVersionOnEveryInvalidatorThenCallsHandler()
    {
        await using var app = await ListenerApp.StartAsync();
        var revoked = KmsCloudEvents.VersionRevoked("key-a", 3);

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(KmsCloudEvents.Json(revoked)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new Eviction("key-a", 3)], app.First.Calls);
        Assert.Equal([new Eviction("key-a", 3)], app.Second.Calls);
        var handled = Assert.Single(app.Handler.Received);
        Assert.Equal((revoked.Id, "Kms.KeyVersionRevoked", "key-a", 3, KmsCacheEviction.KeyVersion),
            (handled.Id, handled.Type, handled.KeyId, handled.Version, handled.Eviction));
        Assert.Equal("/keys/key-a/versions/3", handled.Subject);
        Assert.Equal("exposed in a crash dump", handled.Data!.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Post_SingleKeyDisabled_EvictsTheWholeKey()
    {
        await using var app = await ListenerApp.StartAsync();

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.KeyDisabled("key-b"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new Eviction("key-b", null)], app.First.Calls);
        Assert.Equal([new Eviction("key-b", null)], app.Second.Calls);
        Assert.Equal(KmsCacheEviction.Key, Assert.Single(app.Handler.Received).Eviction);
    }

    [Fact]
    public async Task Post_Batch_EvictsForEachEventInOrder()
    {
        await using var app = await ListenerApp.StartAsync();
        var batch = KmsCloudEvents.Json(
            KmsCloudEvents.KeyDisabled("key-a"),
            KmsCloudEvents.VersionDisabled("key-b", 1),
            KmsCloudEvents.KeyCreated("key-c"),
            KmsCloudEvents.VersionRevoked("key-d", 2),
            KmsCloudEvents.VersionDestroyed("key-d", 2));

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Batch(batch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Eviction[] expected = [new("key-a", null), new("key-b", 1), new("key-d", 2), new("key-d", 2)];
        Assert.Equal(expected, app.First.Calls);
        Assert.Equal(expected, app.Second.Calls);
        Assert.Equal(5, app.Handler.Received.Count);
    }

    [Fact]
    public async Task Post_UnknownEventType_Returns200AndEvictsNothing()
    {
        await using var app = await ListenerApp.StartAsync();
        var future = KmsCloudEvents.Create("Kms.SomethingNewer", "/keys/key-a", new { keyId = "key-a", flavour = "unknown" });

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(KmsCloudEvents.Json(future)));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(app.First.Calls);
        var handled = Assert.Single(app.Handler.Received);
        Assert.Equal(KmsCacheEviction.None, handled.Eviction);
        Assert.Null(handled.KeyId);
    }

    [Fact]
    public async Task Post_DataAsBase64_IsReadLikeInlineData()
    {
        await using var app = await ListenerApp.StartAsync();
        var revoked = KmsCloudEvents.Create("Kms.KeyVersionRevoked", "/keys/key-a/versions/1",
            new Kms.Core.Events.KeyVersionRevokedEventData("key-a", 1, "REVOKED", 1, "r", "op", null, null), CloudEventDataFormat.Binary);
        var json = KmsCloudEvents.Json(revoked);
        Assert.Contains("data_base64", json, StringComparison.Ordinal);

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(json));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new Eviction("key-a", 1)], app.First.Calls);
    }

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "application/cloudevents+json", "{not json" },
        { "application/cloudevents+json", "[]" },
        { "application/cloudevents-batch+json", """{"specversion":"1.0","id":"1","source":"/kms","type":"Kms.KeyDisabled"}""" },
        { "application/cloudevents+json", """{"specversion":"1.0","source":"/kms","type":"Kms.KeyDisabled","data":{"keyId":"k"}}""" },
        { "application/cloudevents+json", """{"specversion":"0.3","id":"1","source":"/kms","type":"Kms.KeyDisabled","data":{"keyId":"k"}}""" },
        { "application/cloudevents+json", """{"specversion":"1.0","id":"1","source":"/kms","type":"Kms.KeyDisabled","data":{"keyid":"k"}}""" },
        { "application/cloudevents+json", """{"specversion":"1.0","id":"1","source":"/kms","type":"Kms.KeyVersionRevoked","data":{"keyId":"k"}}""" },
        { "application/cloudevents+json", """{"specversion":"1.0","id":"1","source":"/kms","type":"Kms.KeyVersionRevoked","data":{"keyId":"k","version":"2"}}""" },
        { "application/cloudevents+json", """{"specversion":"1.0","id":"1","source":"/kms","type":"Kms.KeyVersionDisabled","time":"yesterday","data":{"keyId":"k","version":2}}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Post_MalformedBody_Returns400ProblemDetailsAndEvictsNothing(string contentType, string body)
    {
        await using var app = await ListenerApp.StartAsync();

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Content(body, contentType));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Empty(app.First.Calls);
        Assert.Empty(app.Handler.Received);
    }

    [Fact]
    public async Task Post_BatchWithOneMalformedEvent_EvictsTheReadableOnesAndReturns400()
    {
        await using var app = await ListenerApp.StartAsync();
        var good = KmsCloudEvents.Json(KmsCloudEvents.VersionRevoked("key-a", 1));
        var bad = """{"specversion":"1.0","id":"x","source":"/kms","type":"Kms.KeyVersionRevoked","data":{"keyId":"key-b"}}""";

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Batch($"[{good},{bad}]"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("event 1", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal([new Eviction("key-a", 1)], app.First.Calls);
    }

    [Fact]
    public async Task Post_OtherContentType_Returns415()
    {
        await using var app = await ListenerApp.StartAsync();

        using var response = await app.Http.PostAsync(app.Endpoint,
            KmsCloudEvents.Content(KmsCloudEvents.Json(KmsCloudEvents.KeyDisabled("key-a")), "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(app.First.Calls);
    }

    [Fact]
    public async Task Post_BodyOverLimit_Returns413()
    {
        await using var app = await ListenerApp.StartAsync(o => o.MaxBodyBytes = 512);
        var big = KmsCloudEvents.Create("Kms.KeyDisabled", "/keys/k", new { keyId = "k", padding = new string('x', 2048) });

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(KmsCloudEvents.Json(big)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(app.First.Calls);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret-of-enough-length")]
    [InlineData("s3cret-for-the-listener-test")]
    public async Task Post_SecretConfiguredButMissingOrWrong_Returns401AndEvictsNothing(string? presented)
    {
        await using var app = await ListenerApp.StartAsync(o => o.SharedSecrets.Add(Secret));
        var url = presented is null ? app.Endpoint : new Uri(app.Endpoint + "?secret=" + Uri.EscapeDataString(presented));

        using var response = await app.Http.PostAsync(url, KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.KeyDisabled("key-a"))));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(app.First.Calls);
        Assert.Empty(app.Handler.Received);
        Assert.DoesNotContain(app.ListenerLogs, line => presented is not null && line.Contains(presented, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_SecretInQueryString_IsAccepted()
    {
        await using var app = await ListenerApp.StartAsync(o => o.SharedSecrets.Add(Secret));

        using var response = await app.Http.PostAsync(new Uri(app.Endpoint + "?secret=" + Secret),
            KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.KeyDisabled("key-a"))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new Eviction("key-a", null)], app.First.Calls);
    }

    [Fact]
    public async Task Post_SecretInHeaderOrAnyConfiguredSecret_IsAccepted()
    {
        const string next = "the-next-secret-after-rotation";
        await using var app = await ListenerApp.StartAsync(o =>
        {
            o.SharedSecrets.Add(Secret);
            o.SharedSecrets.Add(next);
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, app.Endpoint)
        {
            Content = KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.VersionDisabled("key-a", 2))),
        };
        request.Headers.Add("X-Kms-Events-Secret", next);

        using var response = await app.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([new Eviction("key-a", 2)], app.First.Calls);
    }

    [Fact]
    public async Task Handshake_SecretConfigured_SucceedsWithoutIt()
    {
        await using var app = await ListenerApp.StartAsync(o => o.SharedSecrets.Add(Secret));

        using var response = await app.Http.SendAsync(Handshake(app.Endpoint, "eventgrid.azure.net"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Post_OneInvalidatorThrows_OtherStillEvicts_Returns500_RetrySucceeds()
    {
        await using var app = await ListenerApp.StartAsync();
        app.First.FailNext = 1;
        var body = KmsCloudEvents.Json(KmsCloudEvents.VersionRevoked("key-a", 4));

        using var failed = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(body));
        using var retried = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(body));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal([new Eviction("key-a", 4), new Eviction("key-a", 4)], app.Second.Calls);
    }

    [Fact]
    public async Task Post_HandlerThrows_Returns500_AfterEvicting()
    {
        await using var app = await ListenerApp.StartAsync();
        app.Handler.FailNext = 1;

        using var response = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.KeyDisabled("key-a"))));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal([new Eviction("key-a", null)], app.First.Calls);
    }

    [Fact]
    public async Task Post_SameEventTwice_EvictsTwice_HandlerSeesItOnce()
    {
        await using var app = await ListenerApp.StartAsync();
        var body = KmsCloudEvents.Json(KmsCloudEvents.VersionDisabled("key-a", 1));

        using var first = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(body));
        using var second = await app.Http.PostAsync(app.Endpoint, KmsCloudEvents.Single(body));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(2, app.First.Calls.Count);
        Assert.Single(app.Handler.Received);
    }

    [Fact]
    public async Task Post_Revocation_LogsKeyAndVersionButNoOtherEventData()
    {
        await using var app = await ListenerApp.StartAsync();

        using var response = await app.Http.PostAsync(app.Endpoint,
            KmsCloudEvents.Single(KmsCloudEvents.Json(KmsCloudEvents.VersionRevoked("key-a", 5))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(app.ListenerLogs, line => line.Contains("key-a", StringComparison.Ordinal) && line.Contains("version 5", StringComparison.Ordinal));
        Assert.DoesNotContain(app.ListenerLogs, line => line.Contains("crash dump", StringComparison.Ordinal) || line.Contains("bob", StringComparison.Ordinal));
    }

    private static HttpRequestMessage Handshake(Uri endpoint, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, endpoint);
        request.Headers.Add("WebHook-Request-Origin", origin);
        return request;
    }
}
