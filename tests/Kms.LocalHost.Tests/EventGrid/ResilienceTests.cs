using Azure.Messaging;
using Kms.Testing;

namespace Kms.LocalHost.Tests.EventGrid;

/// <summary>
/// Nothing published is lost when the subscriber or the stand-in goes away for a while: every event arrives
/// (at least once; the assertions de-duplicate by id, as a subscriber would).
/// </summary>
public sealed class ResilienceTests
{
    [Fact]
    public async Task Subscriber503MidStream_ThenBack_EveryEventArrives()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        var publisher = host.CreatePublisher();
        var before = NewEvents(10);
        var during = NewEvents(20);

        await publisher.SendEventsAsync(before);
        await Eventually.HoldsAsync(() => receiver.Events.Count >= before.Length, "the first events are delivered");
        receiver.PostStatus = 503;
        await publisher.SendEventsAsync(during);
        await Eventually.HoldsAsync(() => receiver.Posts.Count(p => p.AnsweredStatus == 503) >= 5, "deliveries are refused");
        receiver.PostStatus = 200;

        await AssertAllArriveAsync(receiver, before.Concat(during));
    }

    [Fact]
    public async Task SubscriberStoppedMidStream_ThenBack_EveryEventArrives()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        await using var host = await StandInHost.StartAsync(storage.TablePrefix, StandInHost.Settings("key-1", receiver));
        var publisher = host.CreatePublisher();
        var before = NewEvents(5);
        var during = NewEvents(15);

        await publisher.SendEventsAsync(before);
        await Eventually.HoldsAsync(() => receiver.Events.Count >= before.Length, "the first events are delivered");
        await receiver.StopAsync();
        await publisher.SendEventsAsync(during);
        await Eventually.HoldsAsync(async () => (await storage.PendingAsync()).Any(r => r.GetInt32("DeliveryAttempts") >= 1),
            "deliveries to the stopped subscriber fail");
        await receiver.RestartAsync();

        await AssertAllArriveAsync(receiver, before.Concat(during));
    }

    [Fact]
    public async Task StandInStoppedMidStream_NewOneOnSameTables_EveryEventArrives()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        // Slow answers keep deliveries in flight when the stand-in goes away.
        receiver.PostDelay = TimeSpan.FromMilliseconds(100);
        await using var storage = new StandInStorage(LocalStack.UniqueName("eg"));
        var settings = StandInHost.Settings("key-1", receiver);
        var sent = NewEvents(60);

        var first = await StandInHost.StartAsync(storage.TablePrefix, settings);
        await first.CreatePublisher().SendEventsAsync(sent);
        await Eventually.HoldsAsync(() => receiver.Events.Count >= 3, "delivery has started");
        await first.DisposeAsync();
        Assert.NotEmpty(await storage.PendingAsync());

        await using var second = await StandInHost.StartAsync(storage.TablePrefix, settings);

        await AssertAllArriveAsync(receiver, sent);
    }

    private static CloudEvent[] NewEvents(int count) =>
        Enumerable.Range(0, count).Select(i => new CloudEvent("/kms", "Kms.Test", new { n = i }) { Subject = $"/keys/k{i}" }).ToArray();

    private static async Task AssertAllArriveAsync(WebhookReceiver receiver, IEnumerable<CloudEvent> sent)
    {
        var expected = sent.Select(e => e.Id).ToHashSet();
        await Eventually.HoldsAsync(() => expected.IsSubsetOf(receiver.Events.Select(e => e.Id)), "every event has arrived");
        Assert.Equal(expected.Order(), receiver.Events.Select(e => e.Id).Distinct().Order());
    }
}
