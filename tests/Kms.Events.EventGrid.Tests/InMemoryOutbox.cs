using Kms.Core.Events;
using Kms.Core.Ports;

namespace Kms.Events.EventGrid.Tests;

/// <summary>An outbox in memory with the store's semantics (ordered rows, attempts, poison), for the dispatcher's logic.</summary>
internal sealed class InMemoryOutbox : IOutboxStore
{
    private readonly Lock _gate = new();
    private readonly List<OutboxEntry> _rows = [];

    public List<OutboxEntry> Poisoned { get; } = [];

    public static OutboxPartition Key(string id) => new(OutboxPartition.KeysStream, id);

    public IReadOnlyList<OutboxEntry> Rows
    {
        get
        {
            lock (_gate)
            {
                return _rows.ToArray();
            }
        }
    }

    public void Add(OutboxPartition partition, params KmsEvent[] events)
    {
        lock (_gate)
        {
            foreach (var e in events)
            {
                _rows.Add(new OutboxEntry(partition, $"o{_rows.Count:D5}-{e.Id}", [e], e.Time, 0, null, "1"));
            }
        }
    }

    public Task<OutboxScan> ScanAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(new OutboxScan(_rows.Select(r => r.Partition).Distinct().ToArray(), _rows.Count,
                _rows.Count == 0 ? null : _rows.Min(r => r.EnqueuedAt), Poisoned.Count));
        }
    }

    public Task<IReadOnlyList<OutboxEntry>> ReadAsync(OutboxPartition partition, int max, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<OutboxEntry>>(_rows.Where(r => r.Partition == partition).OrderBy(r => r.RowKey, StringComparer.Ordinal)
                .Take(max).ToArray());
        }
    }

    public Task CompleteAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _rows.RemoveAll(r => entries.Any(e => e.RowKey == r.RowKey));
        }

        return Task.CompletedTask;
    }

    public Task RecordFailureAsync(OutboxEntry entry, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var i = _rows.FindIndex(r => r.RowKey == entry.RowKey);
            if (i >= 0)
            {
                _rows[i] = _rows[i] with { Attempts = entry.Attempts + 1, NextAttemptAt = nextAttemptAt };
            }
        }

        return Task.CompletedTask;
    }

    public Task PoisonAsync(OutboxEntry entry, string error, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Poisoned.Add(entry);
            _rows.RemoveAll(r => r.RowKey == entry.RowKey);
        }

        return Task.CompletedTask;
    }
}

/// <summary>A topic that records what it accepted and fails on demand.</summary>
internal sealed class RecordingPublisher : IEventPublisher
{
    public List<IReadOnlyList<KmsEvent>> Calls { get; } = [];

    public List<KmsEvent> Accepted { get; } = [];

    /// <summary>Fails every call while set.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>Refuses (400) any call that contains an event with this id.</summary>
    public string? RefuseId { get; set; }

    public Task PublishAsync(IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        Calls.Add(events);
        if (FailWith is not null)
        {
            throw FailWith;
        }

        if (RefuseId is not null && events.Any(e => e.Id == RefuseId))
        {
            throw new Azure.RequestFailedException(400, "Bad event", "BadRequest", null);
        }

        Accepted.AddRange(events);
        return Task.CompletedTask;
    }
}
