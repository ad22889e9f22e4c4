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

    public void Notify(OutboxPartition partition) => _channel.Writer.TryWrite(partition);

    public ChannelReader<OutboxPartition> Reader => _channel.Reader;
}
