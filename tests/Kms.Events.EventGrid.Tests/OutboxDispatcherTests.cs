using System.Diagnostics.Metrics;
using Azure;
using Kms.Core.Events;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Events.EventGrid.Tests;

public sealed class OutboxDispatcherTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryOutbox _outbox = new();
    private readonly RecordingPublisher _topic = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly EventGridOptions _options = new()
    {
        TopicEndpoint = new Uri("http://127.0.0.1:1/api/events"),
        MaxAttempts = 3,
        RetryInitialDelay = TimeSpan.FromSeconds(10),
        RetryMaxDelay = TimeSpan.FromMinutes(5),
        BatchSize = 10,
    };

    [Fact]
    public async Task PendingRows_ArePublishedInOrder_ThenDeleted()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Event("a"), Event("b"), Event("c"));
        using var dispatcher = Dispatcher();

        var more = await dispatcher.DispatchAsync(key, None);

        Assert.False(more);
        Assert.Equal(["a", "b", "c"], _topic.Accepted.Select(e => e.Id));
        Assert.Single(_topic.Calls);
        Assert.Empty(_outbox.Rows);
        Assert.Equal(3, dispatcher.Current.Published);
    }

    [Fact]
    public async Task AFullBatch_ReportsThatMoreMayRemain()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Enumerable.Range(0, 15).Select(i => Event("e" + i)).ToArray());
        using var dispatcher = Dispatcher();

        Assert.True(await dispatcher.DispatchAsync(key, None));
        Assert.False(await dispatcher.DispatchAsync(key, None));
        Assert.Equal(15, _topic.Accepted.Count);
    }

    [Fact]
    public async Task AFailedPublish_KeepsTheRows_AndWaitsOutTheBackoff()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Event("a"), Event("b"));
        using var dispatcher = Dispatcher();
        _topic.FailWith = new RequestFailedException(503, "unavailable");

        await dispatcher.DispatchAsync(key, None);

        Assert.All(_outbox.Rows, r => Assert.Equal(1, r.Attempts));
        var next = _outbox.Rows[0].NextAttemptAt!.Value;
        Assert.InRange(next - _time.GetUtcNow(), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(12));
        Assert.Equal(1, dispatcher.Current.PublishFailures);
        Assert.Contains("503", dispatcher.Current.LastError, StringComparison.Ordinal);

        // Back before the row is due: nothing is sent.
        _topic.FailWith = null;
        var calls = _topic.Calls.Count;
        await dispatcher.DispatchAsync(key, None);
        Assert.Equal(calls, _topic.Calls.Count);

        _time.Advance(TimeSpan.FromSeconds(13));
        await dispatcher.DispatchAsync(key, None);
        Assert.Equal(["a", "b"], _topic.Accepted.Select(e => e.Id));
        Assert.Empty(_outbox.Rows);
    }

    [Fact]
    public async Task ARowThatKeepsFailing_MovesToPoison_AfterMaxAttempts()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Event("a"));
        using var dispatcher = Dispatcher();
        _topic.FailWith = new RequestFailedException(500, "boom");

        for (var i = 0; i < _options.MaxAttempts; i++)
        {
            await dispatcher.DispatchAsync(key, None);
            _time.Advance(TimeSpan.FromMinutes(6));
        }

        Assert.Empty(_outbox.Rows);
        Assert.Equal("a", Assert.Single(_outbox.Poisoned).Events[0].Id);
        Assert.Equal(1, dispatcher.Current.Poisoned);
    }

    [Fact]
    public async Task ARefusedBatch_IsSentRowByRow_AndOnlyTheBadRowIsSetAside()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Event("a"), Event("bad"), Event("c"));
        _topic.RefuseId = "bad";
        using var dispatcher = Dispatcher();

        await dispatcher.DispatchAsync(key, None);
        await dispatcher.DispatchAsync(key, None);

        Assert.Equal(["a", "c"], _topic.Accepted.Select(e => e.Id));
        Assert.Equal("bad", Assert.Single(_outbox.Poisoned).Events[0].Id);
        Assert.Empty(_outbox.Rows);
    }

    [Fact]
    public async Task ARowInBackoff_HoldsBackTheRowsAfterIt()
    {
        var key = InMemoryOutbox.Key("k1");
        _outbox.Add(key, Event("a"));
        using var dispatcher = Dispatcher();
        _topic.FailWith = new RequestFailedException(503, "unavailable");
        await dispatcher.DispatchAsync(key, None);
        _topic.FailWith = null;

        _outbox.Add(key, Event("b"));
        await dispatcher.DispatchAsync(key, None);

        Assert.Empty(_topic.Accepted);
        _time.Advance(TimeSpan.FromMinutes(1));
        await dispatcher.DispatchAsync(key, None);
        Assert.Equal(["a", "b"], _topic.Accepted.Select(e => e.Id));
    }

    [Fact]
    public void PublishGroups_CutLargeBacklogs_UnderTheTopicLimit_InOrder()
    {
        var big = new string('x', 200 * 1024);
        var entries = Enumerable.Range(0, 10).Select(i =>
            new Core.Ports.OutboxEntry(InMemoryOutbox.Key("k"), "o" + i, [Event("e" + i) with { Data = $"\"{big}\"" }], DateTimeOffset.UnixEpoch, 0, null, null))
            .ToList();

        var groups = OutboxDispatcher.PublishGroups(entries).ToList();

        Assert.True(groups.Count >= 3);
        Assert.All(groups, g => Assert.True(g.Sum(e => e.Events[0].Data.Length) <= OutboxDispatcher.MaxPublishBytes));
        Assert.Equal(entries.Select(e => e.RowKey), groups.SelectMany(g => g).Select(e => e.RowKey));
    }

    [Fact]
    public async Task PublishedAuditRecords_AreCountedAsRecords_NotAsEvents()
    {
        // The KmsAuditPublishGap alert compares this counter with kms.audit.records.stored: counted per event, a batch of
        // 20 records (two events) read as 2 of 20 published.
        var chain = new Core.Ports.OutboxPartition(Core.Ports.OutboxPartition.AuditStream, "chain-1");
        var records = Enumerable.Range(1, 20).Select(i => new Core.Audit.AuditRecord("chain-1", i, new Core.Audit.AuditEntry(_time.GetUtcNow(), "alice",
            ["kms.crypto"], "Encrypt", "k1", 1, 200, null, null, "r" + i, null, []), "h" + (i - 1), "h" + i)).ToList();
        _outbox.Add(chain, KmsEventFactory.AuditRecords(records).ToArray());
        using var meters = new CapturingMeterFactory();
        using var metrics = new Core.Telemetry.KmsMetrics(meters);
        using var listener = meters.Listen(Core.Telemetry.KmsMetricNames.AuditRecordsPublished);
        using var dispatcher = new OutboxDispatcher(_outbox, _topic, new OutboxSignal(), _time, _options, NullLogger<OutboxDispatcher>.Instance, metrics);

        await dispatcher.DispatchAsync(chain, None);

        Assert.Equal(2, _topic.Accepted.Count);
        Assert.Equal(20, meters.Total);
    }

    [Fact]
    public async Task AuditBatchesStoredWhileTheirChainLingers_GoOutInTheLingersPass_AndLaterOnesInTheNext()
    {
        // An audit chain's first signal starts its AuditLinger; the pass that ends it carries every batch stored
        // meanwhile in one publish, and a batch stored after that pass starts a new linger (not the sweep, 30 s here).
        var chain = new Core.Ports.OutboxPartition(Core.Ports.OutboxPartition.AuditStream, "chain-1");
        var signal = new OutboxSignal();
        using var dispatcher = new OutboxDispatcher(_outbox, _topic, signal, _time, _options, NullLogger<OutboxDispatcher>.Instance);
        await dispatcher.StartAsync(None);
        try
        {
            // Its first sweep (at start) finds nothing; the rows come after it, announced by the signal only.
            for (var i = 0; i < 100 && dispatcher.Current.LastSweepAt is null; i++)
            {
                await Task.Delay(50);
            }

            Assert.NotNull(dispatcher.Current.LastSweepAt);
            _outbox.Add(chain, Event("a1"));
            signal.Notify(chain);
            await Task.Delay(200); // the dispatcher takes the signal and starts lingering (the assertions hold either way)
            _outbox.Add(chain, Event("a2"));
            signal.Notify(chain);
            Assert.Empty(_topic.Calls);

            await AdvanceUntilAsync(() => _topic.Accepted.Count >= 2);
            Assert.Equal(["a1", "a2"], _topic.Accepted.Select(e => e.Id));
            Assert.Single(_topic.Calls);

            _outbox.Add(chain, Event("a3"));
            signal.Notify(chain);
            await AdvanceUntilAsync(() => _topic.Accepted.Count >= 3, limit: TimeSpan.FromSeconds(5));
            Assert.Equal(["a1", "a2", "a3"], _topic.Accepted.Select(e => e.Id));
        }
        finally
        {
            await dispatcher.StopAsync(None);
        }
    }

    [Fact]
    public void Backoff_Doubles_UpToTheCap()
    {
        using var dispatcher = Dispatcher();

        Assert.InRange(dispatcher.Backoff(1).TotalSeconds, 8, 12);
        Assert.InRange(dispatcher.Backoff(3).TotalSeconds, 32, 48);
        Assert.InRange(dispatcher.Backoff(30).TotalSeconds, 240, 360);
    }

    /// <summary>Moves the fake clock on by 100 ms steps (at most <paramref name="limit"/> of it) until the condition holds.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        var left = limit ?? TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(left > TimeSpan.Zero, "the condition did not hold within the fake time allowed");
            _time.Advance(TimeSpan.FromMilliseconds(100));
            left -= TimeSpan.FromMilliseconds(100);
            await Task.Delay(50);
        }
    }

    private OutboxDispatcher Dispatcher() =>
        new(_outbox, _topic, new OutboxSignal(), _time, _options, NullLogger<OutboxDispatcher>.Instance);

    private KmsEvent Event(string id) => new(id, KmsEventTypes.KeyDisabled, "/keys/k1", _time.GetUtcNow(), "{}");

    /// <summary>The meter KmsMetrics creates, and a listener on one of its counters: only this test's measurements.</summary>
    private sealed class CapturingMeterFactory : IMeterFactory
    {
        private Meter? _meter;
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public Meter Create(MeterOptions options) => _meter = new Meter(options);

        public MeterListener Listen(string instrumentName)
        {
            var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (ReferenceEquals(instrument.Meter, _meter) && instrument.Name == instrumentName)
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            listener.Start();
            return listener;
        }

        public void Dispose() => _meter?.Dispose();
    }
}
