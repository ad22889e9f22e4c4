using System.Threading.Channels;
using Azure;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kms.Events.EventGrid;

/// <summary>
/// Drains the outbox: publishes each partition's pending rows in order, deletes them once the topic accepted them,
/// and on failure counts the attempt and retries with exponential backoff; a row that keeps failing (or that the
/// topic refuses outright, 400/413) moves to the poison table. Delivery is at least once: a crash between
/// publishing and deleting publishes the same event ids again, and subscribers de-duplicate on the id.
/// </summary>
/// <remarks>
/// Work arrives two ways: <see cref="OutboxSignal"/> names partitions this process just wrote (so events leave at
/// once), and a periodic sweep finds every pending row (left by a crash, by another instance, or due for retry).
/// A partition is dispatched by one worker at a time, so one key's events keep their order; different
/// partitions go in parallel. Several instances may dispatch the same partition: that only duplicates.
/// </remarks>
internal sealed partial class OutboxDispatcher : BackgroundService, IEventDeliveryStatus, IEventBacklogSource
{
    /// <summary>Event Grid takes at most 1 MB per publish call; stay well below with the envelope around the data.</summary>
    internal const int MaxPublishBytes = 768 * 1024;

    private readonly IOutboxStore _outbox;
    private readonly IEventPublisher _publisher;
    private readonly OutboxSignal _signal;
    private readonly TimeProvider _time;
    private readonly EventGridOptions _options;
    private readonly ILogger<OutboxDispatcher> _logger;
    private readonly KmsMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly IDisposable _backlogGauges;

    private readonly Lock _gate = new();
    private readonly Channel<OutboxPartition> _work = Channel.CreateUnbounded<OutboxPartition>();
    private readonly HashSet<OutboxPartition> _queued = [];
    private readonly HashSet<OutboxPartition> _active = [];
    private readonly HashSet<OutboxPartition> _again = [];
    private readonly HashSet<OutboxPartition> _lingering = [];
    private CancellationToken _stopping;

    private long _published;
    private long _failures;
    private long _pending;
    private long _poisoned;
    private DateTimeOffset? _oldestPendingAt;
    private DateTimeOffset? _lastSweepAt;
    private DateTimeOffset? _lastPublishedAt;
    private string? _lastError;

    public OutboxDispatcher(IOutboxStore outbox, IEventPublisher publisher, OutboxSignal signal, TimeProvider time, EventGridOptions options,
        ILogger<OutboxDispatcher> logger, KmsMetrics? metrics = null)
    {
        _outbox = outbox;
        _publisher = publisher;
        _signal = signal;
        _time = time;
        _options = options;
        _logger = logger;
        // The host's one "Kms" meter; a dispatcher built without one (a test) gets instruments of its own.
        _ownsMetrics = metrics is null;
        _metrics = metrics ?? new KmsMetrics();
        _backlogGauges = _metrics.ObserveEventBacklog(this);
    }

    long IEventBacklogSource.PendingRows => Math.Max(0, Interlocked.Read(ref _pending));

    double IEventBacklogSource.OldestPendingAgeSeconds => OldestPendingAge();

    public EventDeliverySnapshot Current
    {
        get
        {
            lock (_gate)
            {
                return new EventDeliverySnapshot(Interlocked.Read(ref _published), Interlocked.Read(ref _failures), Math.Max(0, Interlocked.Read(ref _pending)),
                    Interlocked.Read(ref _poisoned), _oldestPendingAt, _lastSweepAt, _lastPublishedAt, _lastError);
            }
        }
    }

    public override void Dispose()
    {
        _backlogGauges.Dispose();
        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }

        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var workers = Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(() => WorkAsync(stoppingToken), CancellationToken.None)).ToList();
        workers.Add(Task.Run(() => PumpSignalsAsync(stoppingToken), CancellationToken.None));
        await SweepLoopAsync(stoppingToken);
        _work.Writer.TryComplete();
        await Task.WhenAll(workers);
    }

    /// <summary>One pass over one partition; true when it may hold more rows than were read.</summary>
    internal async Task<bool> DispatchAsync(OutboxPartition partition, CancellationToken cancellationToken)
    {
        var entries = await _outbox.ReadAsync(partition, _options.BatchSize, cancellationToken);
        if (entries.Count == 0)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        // Rows waiting out a backoff hold back the rows after them: one key's events stay in order.
        var due = entries.TakeWhile(e => e.NextAttemptAt is null || e.NextAttemptAt <= now).ToList();
        if (due.Count < entries.Count)
        {
            ScheduleRetry(partition, entries[due.Count].NextAttemptAt!.Value - now);
        }

        foreach (var group in PublishGroups(due))
        {
            if (!await PublishAsync(partition, group, cancellationToken))
            {
                return false;
            }
        }

        return due.Count == entries.Count && entries.Count == _options.BatchSize;
    }

    private async Task<bool> PublishAsync(OutboxPartition partition, IReadOnlyList<OutboxEntry> group, CancellationToken cancellationToken)
    {
        var events = group.SelectMany(e => e.Events).ToList();
        try
        {
            await _publisher.PublishAsync(events, cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            if (group.Count > 1 && IsRefusal(e))
            {
                // The topic refused the batch as a whole: send the rows one by one so only the bad one is set aside.
                foreach (var entry in group)
                {
                    if (!await PublishAsync(partition, [entry], cancellationToken))
                    {
                        return false;
                    }
                }

                return true;
            }

            await RecordFailureAsync(partition, group, e, cancellationToken);
            return false;
        }

        await _outbox.CompleteAsync(group, cancellationToken);
        Interlocked.Add(ref _published, events.Count);
        Interlocked.Add(ref _pending, -group.Count);
        foreach (var type in events.GroupBy(e => e.Type, StringComparer.Ordinal))
        {
            var count = type.Count();
            _metrics.EventsPublished(type.Key, count);
            if (type.Key == KmsEventTypes.AuditRecord)
            {
                // Records, not events: an AuditRecord event carries up to 16 of them, and the metric is compared with
                // the records stored (the KmsAuditPublishGap alert).
                _metrics.AuditRecordsPublished(type.Sum(e => e.AuditRecordCount));
            }
        }

        lock (_gate)
        {
            _lastPublishedAt = _time.GetUtcNow();
        }

        LogPublished(events.Count, partition.Stream, partition.PartitionKey);
        return true;
    }

    private async Task RecordFailureAsync(OutboxPartition partition, IReadOnlyList<OutboxEntry> group, Exception failure, CancellationToken cancellationToken)
    {
        var error = Describe(failure);
        Interlocked.Increment(ref _failures);
        _metrics.EventPublishFailed();
        lock (_gate)
        {
            _lastError = error;
        }

        var now = _time.GetUtcNow();
        TimeSpan? retryIn = null;
        foreach (var entry in group)
        {
            var attempts = entry.Attempts + 1;
            if (attempts >= _options.MaxAttempts || IsRefusal(failure))
            {
                await _outbox.PoisonAsync(entry, error, cancellationToken);
                Interlocked.Increment(ref _poisoned);
                Interlocked.Decrement(ref _pending);
                _metrics.EventPoisoned();
                LogPoisoned(partition.Stream, partition.PartitionKey, entry.RowKey, attempts, error);
                retryIn ??= TimeSpan.Zero;
                continue;
            }

            var delay = Backoff(attempts);
            await _outbox.RecordFailureAsync(entry, now + delay, error, cancellationToken);
            retryIn = retryIn is null || delay < retryIn ? delay : retryIn;
            LogPublishFailed(failure, partition.Stream, partition.PartitionKey, attempts, delay.TotalSeconds);
        }

        ScheduleRetry(partition, retryIn ?? _options.RetryInitialDelay);
    }

    /// <summary>Rows in order, cut so one publish call stays under <see cref="MaxPublishBytes"/>.</summary>
    internal static IEnumerable<IReadOnlyList<OutboxEntry>> PublishGroups(IReadOnlyList<OutboxEntry> entries)
    {
        var group = new List<OutboxEntry>();
        long size = 0;
        foreach (var entry in entries)
        {
            var entrySize = entry.Events.Sum(e => (long)e.Data.Length + 512);
            if (group.Count > 0 && size + entrySize > MaxPublishBytes)
            {
                yield return group;
                group = [];
                size = 0;
            }

            group.Add(entry);
            size += entrySize;
        }

        if (group.Count > 0)
        {
            yield return group;
        }
    }

    /// <summary>Initial delay doubled per failed attempt, capped, with ±20% jitter so instances do not retry in lockstep.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 30);
        var delay = Math.Min(_options.RetryInitialDelay.TotalMilliseconds * Math.Pow(2, exponent), _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + (Random.Shared.NextDouble() * 0.4)));
    }

    // 400 and 413 mean the topic will never take this event as it is; retrying cannot help.
    private static bool IsRefusal(Exception e) => e is RequestFailedException { Status: 400 or 413 };

    /// <summary>What went wrong, for the row and the log: the status and error code, never the request.</summary>
    private static string Describe(Exception e) => e switch
    {
        RequestFailedException r => $"{nameof(RequestFailedException)}: status {r.Status}, code {r.ErrorCode ?? "none"}",
        AggregateException { InnerExceptions.Count: > 0 } a => Describe(a.InnerExceptions[^1]),
        _ => e.GetType().Name + ": " + (e.Message.Length <= 300 ? e.Message : e.Message[..300]),
    };

    private void Enqueue(OutboxPartition partition)
    {
        lock (_gate)
        {
            if (_active.Contains(partition))
            {
                // Being dispatched right now: run it once more when that pass ends.
                _again.Add(partition);
                return;
            }

            if (_queued.Add(partition))
            {
                _work.Writer.TryWrite(partition);
            }
        }
    }

    /// <summary>Dispatches the partition once <see cref="EventGridOptions.AuditLinger"/> has passed; signals meanwhile join that pass.</summary>
    private void Linger(OutboxPartition partition)
    {
        lock (_gate)
        {
            if (!_lingering.Add(partition))
            {
                return;
            }
        }

        EnqueueLater(partition, _options.AuditLinger, () =>
        {
            lock (_gate)
            {
                _lingering.Remove(partition);
            }
        });
    }

    private void ScheduleRetry(OutboxPartition partition, TimeSpan delay) => EnqueueLater(partition, delay, null);

    /// <summary>Queues the partition after <paramref name="delay"/> (unless the service stops first), running <paramref name="before"/> first.</summary>
    private void EnqueueLater(OutboxPartition partition, TimeSpan delay, Action? before) =>
        _ = Task.Delay(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, _time, _stopping).ContinueWith(_ =>
        {
            before?.Invoke();
            Enqueue(partition);
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var partition in _work.Reader.ReadAllAsync(CancellationToken.None))
        {
            if (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            lock (_gate)
            {
                _queued.Remove(partition);
                _active.Add(partition);
            }

            var more = false;
            try
            {
                more = await DispatchAsync(partition, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Storage trouble while reading or completing: the rows stay and the next signal or sweep retries them.
                LogDispatchFailed(e, partition.Stream, partition.PartitionKey);
                ScheduleRetry(partition, _options.RetryInitialDelay);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            bool again;
            lock (_gate)
            {
                _active.Remove(partition);
                again = _again.Remove(partition) || more;
            }

            if (again)
            {
                Enqueue(partition);
            }
        }
    }

    private async Task PumpSignalsAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var partition in _signal.Reader.ReadAllAsync(stoppingToken))
            {
                if (partition.Stream == OutboxPartition.AuditStream && _options.AuditLinger > TimeSpan.Zero)
                {
                    Linger(partition);
                }
                else
                {
                    Enqueue(partition);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SweepLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var scan = await _outbox.ScanAsync(stoppingToken);
                Interlocked.Exchange(ref _pending, scan.PendingEntries);
                Interlocked.Exchange(ref _poisoned, scan.Poisoned);
                lock (_gate)
                {
                    _oldestPendingAt = scan.OldestEnqueuedAt;
                    _lastSweepAt = _time.GetUtcNow();
                }

                foreach (var partition in scan.Partitions)
                {
                    Enqueue(partition);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(e);
            }

            try
            {
                await Task.Delay(_options.SweepInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private double OldestPendingAge()
    {
        lock (_gate)
        {
            return _oldestPendingAt is { } oldest ? Math.Max(0, (_time.GetUtcNow() - oldest).TotalSeconds) : 0;
        }
    }

    [LoggerMessage(EventId = 5000, Level = LogLevel.Debug, Message = "Published {Count} events from outbox partition {Stream}/{Partition}")]
    private partial void LogPublished(int count, string stream, string partition);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning,
        Message = "Publishing outbox partition {Stream}/{Partition} failed (attempt {Attempts}); retrying in {DelaySeconds:F1} s")]
    private partial void LogPublishFailed(Exception exception, string stream, string partition, int attempts, double delaySeconds);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error,
        Message = "Outbox row {Stream}/{Partition}/{RowKey} moved to the poison table after {Attempts} attempts: {Error}")]
    private partial void LogPoisoned(string stream, string partition, string rowKey, int attempts, string error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Dispatching outbox partition {Stream}/{Partition} failed; retrying later")]
    private partial void LogDispatchFailed(Exception exception, string stream, string partition);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Warning, Message = "Sweeping the outbox failed; trying again at the next interval")]
    private partial void LogSweepFailed(Exception exception);
}
