using System.Net.Http.Headers;
using System.Text;
using Azure.Messaging;
using Kms.Testing;

namespace Kms.LocalHost.Tests.EventGrid;

/// <summary>Published events reach the subscribers that asked for them, intact, after the webhook handshake.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public async Task SendEvents_HandshakeAccepted_DeliversEveryEventIntactAfterTheHandshake()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        var sent = new[]
        {
            new CloudEvent("/kms", "Kms.KeyCreated", new { keyId = "k1", version = 1 }) { Subject = "/keys/k1" },
            new CloudEvent("/kms", "Kms.KeyRotated", new { keyId = "k2", version = 2 }) { Subject = "/keys/k2" },
            new CloudEvent("/kms", "Kms.KeyDisabled", BinaryData.FromBytes([1, 2, 3, 255]), "application/octet-stream",
                CloudEventDataFormat.Binary) { Subject = "/keys/k3" },
        };

        await host.CreatePublisher().SendEventsAsync(sent);
        await Eventually.HoldsAsync(() => receiver.Events.Count == sent.Length, "every event is delivered");

        var requests = receiver.Requests.ToList();
        Assert.Equal("OPTIONS", requests[0].Method);
        Assert.Equal("eventgrid.azure.net", requests[0].Origin);
        Assert.All(receiver.Posts, p => Assert.StartsWith("application/cloudevents+json", p.ContentType, StringComparison.OrdinalIgnoreCase));
        foreach (var expected in sent)
        {
            var received = Assert.Single(receiver.Events, e => e.Id == expected.Id);
            Assert.Equal(expected.Type, received.Type);
            Assert.Equal(expected.Source, received.Source);
            Assert.Equal(expected.Subject, received.Subject);
            Assert.Equal(expected.Data!.ToArray(), received.Data!.ToArray());
        }

        await Eventually.HoldsAsync(async () => (await storage.PendingAsync()).Count == 0, "delivered rows are deleted");
    }

    [Fact]
    public async Task Post_RawBatch_DeliversEachEventByteForByte()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        // Unusual but valid spacing, attribute order and an extension: a re-serialized copy would differ.
        var first = "{ \"type\" : \"Kms.A\",\"specversion\":\"1.0\", \"id\":\"raw-1\",\"source\":\"/kms\",\"myext\":\"x\",\n  \"data\": {\"b\": 2, \"a\": [1,2.50]} }";
        var second = "{\"specversion\":\"1.0\",\"id\":\"raw-2\",\"source\":\"/kms\",\"type\":\"Kms.B\",\"data_base64\":\"AAEC\"}";
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Add("aeg-sas-key", "key-1");
        var content = new StringContent($"[ {first} ,\n{second}]", Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/cloudevents-batch+json; charset=utf-8");

        using var response = await http.PostAsync(new Uri(host.PublishUri + "?api-version=2018-01-01"), content);
        response.EnsureSuccessStatusCode();
        await Eventually.HoldsAsync(() => receiver.Events.Count == 2, "both events are delivered");

        var bodies = receiver.Posts.Select(p => Encoding.UTF8.GetString(p.Body)).ToList();
        Assert.Contains(first, bodies);
        Assert.Contains(second, bodies);
    }

    [Fact]
    public async Task Handshake_RefusedUntilAllowed_NothingDeliveredBeforeItPasses()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.AllowHandshake = false;
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        var sent = new CloudEvent("/kms", "Kms.KeyCreated", new { keyId = "k1" });

        await host.CreatePublisher().SendEventsAsync([sent]);
        await Eventually.HoldsAsync(() => receiver.Requests.Count(r => r.Method == "OPTIONS") >= 3, "the handshake has been retried");

        Assert.Empty(receiver.Posts);
        var pending = Assert.Single(await storage.PendingAsync());
        Assert.Equal(0, pending.GetInt32("DeliveryAttempts"));

        receiver.AllowHandshake = true;
        await Eventually.HoldsAsync(() => receiver.Events.Count == 1, "the event is delivered once the handshake passes");
        Assert.Equal(sent.Id, receiver.Events[0].Id);
    }

    [Fact]
    public async Task SendEvents_FilteredSubscriptions_GetOnlyMatchingTypesAndSubjects()
    {
        await using var all = await WebhookReceiver.StartAsync();
        await using var rotations = await WebhookReceiver.StartAsync();
        await using var keyOne = await WebhookReceiver.StartAsync();
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        var settings = StandInHost.Settings("key-1", all, rotations, keyOne);
        settings["Kms:LocalEventGrid:Subscriptions:1:IncludedEventTypes:0"] = "Kms.KeyRotated";
        settings["Kms:LocalEventGrid:Subscriptions:1:IncludedEventTypes:1"] = "Kms.KeyDeleted";
        settings["Kms:LocalEventGrid:Subscriptions:2:SubjectBeginsWith"] = "/keys/k1/";
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, settings);
        var sent = new[]
        {
            new CloudEvent("/kms", "Kms.KeyCreated", new { }) { Subject = "/keys/k1/versions/1" },
            new CloudEvent("/kms", "Kms.KeyRotated", new { }) { Subject = "/keys/k1/versions/2" },
            new CloudEvent("/kms", "kms.keyrotated", new { }) { Subject = "/keys/k2/versions/2" },
            new CloudEvent("/kms", "Kms.KeyDeleted", new { }) { Subject = "/keys/k10/versions/1" },
            new CloudEvent("/kms", "Kms.KeyCreated", new { }),
        };

        await host.CreatePublisher().SendEventsAsync(sent);
        await Eventually.HoldsAsync(() => all.Events.Count == sent.Length, "the unfiltered subscription gets every event");
        await Eventually.HoldsAsync(async () => (await storage.PendingAsync()).Count == 0, "every stored delivery is done");

        Assert.Equal(sent.Select(e => e.Id).Order(), all.Events.Select(e => e.Id).Order());
        Assert.Equal(new[] { sent[1].Id, sent[2].Id, sent[3].Id }.Order(), rotations.Events.Select(e => e.Id).Order());
        Assert.Equal(new[] { sent[0].Id, sent[1].Id }.Order(), keyOne.Events.Select(e => e.Id).Order());
        Assert.Empty(await storage.DeadLettersAsync());
    }
}
