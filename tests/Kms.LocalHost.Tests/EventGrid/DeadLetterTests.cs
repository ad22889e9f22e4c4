using System.Text.Json;
using Azure.Messaging;
using Kms.Testing;

namespace Kms.LocalHost.Tests.EventGrid;

/// <summary>Events that cannot be delivered end as dead-letter blobs holding the original event and the reason.</summary>
public sealed class DeadLetterTests
{
    [Fact]
    public async Task Subscriber400_DeadLettersAtOnceWithReason()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.PostStatus = 400;
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        var sent = new CloudEvent("/kms", "Kms.KeyCreated", new { keyId = "k1" }) { Subject = "/keys/k1" };

        await host.CreatePublisher().SendEventsAsync([sent]);
        await Eventually.HoldsAsync(async () => (await storage.DeadLettersAsync()).Count == 1, "the event is dead-lettered");

        var (name, content) = Assert.Single(await storage.DeadLettersAsync());
        Assert.StartsWith("sub0/", name, StringComparison.Ordinal);
        Assert.EndsWith(".json", name, StringComparison.Ordinal);
        using var letter = JsonDocument.Parse(content);
        Assert.Equal("NonRetryableResponse", letter.RootElement.GetProperty("deadLetterReason").GetString());
        Assert.Equal(1, letter.RootElement.GetProperty("deliveryAttempts").GetInt32());
        Assert.Equal(400, letter.RootElement.GetProperty("lastHttpStatusCode").GetInt32());
        Assert.Equal("BadRequest", letter.RootElement.GetProperty("lastDeliveryOutcome").GetString());
        var original = CloudEvent.Parse(BinaryData.FromString(letter.RootElement.GetProperty("event").GetRawText()))!;
        Assert.Equal(sent.Id, original.Id);
        Assert.Equal(sent.Data!.ToArray(), original.Data!.ToArray());
        Assert.Single(receiver.Posts);
        Assert.Empty(await storage.PendingAsync());
    }

    [Fact]
    public async Task SubscriberKeepsFailing_AttemptsExhausted_DeadLetters()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.PostStatus = 503;
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        var settings = StandInHost.Settings("key-1", receiver);
        settings["Kms:LocalEventGrid:MaxDeliveryAttempts"] = "3";
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, settings);
        var sent = new CloudEvent("/kms", "Kms.KeyCreated", new { keyId = "k1" });

        await host.CreatePublisher().SendEventsAsync([sent]);
        await Eventually.HoldsAsync(async () => (await storage.DeadLettersAsync()).Count == 1, "the event is dead-lettered");

        var (_, content) = Assert.Single(await storage.DeadLettersAsync());
        using var letter = JsonDocument.Parse(content);
        Assert.Equal("MaxDeliveryAttemptsExceeded", letter.RootElement.GetProperty("deadLetterReason").GetString());
        Assert.Equal(3, letter.RootElement.GetProperty("deliveryAttempts").GetInt32());
        Assert.Equal(503, letter.RootElement.GetProperty("lastHttpStatusCode").GetInt32());
        Assert.Equal(sent.Id, letter.RootElement.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal(3, receiver.Posts.Count());
        Assert.Empty(await storage.PendingAsync());
    }

    [Fact]
    public async Task EventOutlivesTimeToLive_DeadLetters()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.PostStatus = 500;
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        var settings = StandInHost.Settings("key-1", receiver);
        settings["Kms:LocalEventGrid:EventTimeToLive"] = "00:00:02";
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, settings);

        await host.CreatePublisher().SendEventsAsync([new CloudEvent("/kms", "Kms.KeyCreated", new { keyId = "k1" })]);
        await Eventually.HoldsAsync(async () => (await storage.DeadLettersAsync()).Count == 1, "the event is dead-lettered");

        var (_, content) = Assert.Single(await storage.DeadLettersAsync());
        using var letter = JsonDocument.Parse(content);
        Assert.Equal("TimeToLiveExceeded", letter.RootElement.GetProperty("deadLetterReason").GetString());
        Assert.Empty(await storage.PendingAsync());
    }
}
