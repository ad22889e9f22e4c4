using Kms.Core.Events;
using Kms.Core.Ports;

namespace Kms.Core.Tests.Events;

public sealed class OutboxSignalTests
{
    private static readonly OutboxPartition Chain = new(OutboxPartition.AuditStream, "chain-1");
    private static readonly OutboxPartition Key = new(OutboxPartition.KeysStream, "k1");

    [Fact]
    public void AHeldPartition_IsNotAnnounced_UntilReleased_OthersAre()
    {
        var signal = new OutboxSignal();

        signal.Notify(Chain);
        Assert.True(signal.Reader.TryRead(out var first));
        Assert.Equal(Chain, first);

        signal.Hold(Chain);
        signal.Notify(Chain);
        signal.Notify(Key);
        Assert.True(signal.Reader.TryRead(out var other));
        Assert.Equal(Key, other);
        Assert.False(signal.Reader.TryRead(out _));

        signal.Release(Chain);
        signal.Notify(Chain);
        Assert.True(signal.Reader.TryRead(out var again));
        Assert.Equal(Chain, again);
    }
}
