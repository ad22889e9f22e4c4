using System.Collections.Concurrent;
using System.Threading.Channels;
using Kms.Core.Ports;

namespace Kms.Core.Events;

/// <summary>
/// Tells this process's dispatcher that a partition has new outbox rows, so events go out at once instead of at
/// the next sweep. Only a hint: rows left behind (crash, other instance, full queue) are found by the sweep.
/// </summary>
public sealed class OutboxSignal
{
    private readonly Channel<OutboxPartition> _channel = Channel.CreateBounded<OutboxPartition>(new BoundedChannelOptions(10_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly ConcurrentDictionary<OutboxPartition, byte> _held = new();

    /// <summary>Announces new rows of <paramref name="partition"/>, unless a dispatch of it is already due (<see cref="Hold"/>).</summary>
    public void Notify(OutboxPartition partition)
    {
        // Every audit commit notifies its chain. While the chain waits out its linger, a pass that reads every batch
        // stored before it is already due, so the signal would only wake the dispatcher's reader for nothing: one thread
        // wake-up per commit, which costs more than the rest of the signal on a small VM (docs/performance.md, eighth round).
        if (!_held.ContainsKey(partition))
        {
            _channel.Writer.TryWrite(partition);
        }
    }

    /// <summary>
    /// From now until <see cref="Release"/>, notifications of <paramref name="partition"/> are dropped: the dispatcher
    /// has a pass of it due that starts after <see cref="Release"/>, and reads every row written before that.
    /// </summary>
    public void Hold(OutboxPartition partition) => _held.TryAdd(partition, 0);

    /// <summary>Lets notifications of <paramref name="partition"/> through again; call it before the due pass reads.</summary>
    public void Release(OutboxPartition partition) => _held.TryRemove(partition, out _);

    public ChannelReader<OutboxPartition> Reader => _channel.Reader;
}
