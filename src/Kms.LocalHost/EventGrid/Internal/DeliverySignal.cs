namespace Kms.LocalHost.EventGrid.Internal;

/// <summary>
/// Lets the publish endpoint wake the delivery loops as soon as rows are stored, instead of waiting for the poll.
/// A loop takes <see cref="Next"/> before it queries, so a publish that lands during its query still wakes it.
/// </summary>
internal sealed class DeliverySignal
{
    private TaskCompletionSource _next = NewSource();

    /// <summary>Completes at the next <see cref="Notify"/>.</summary>
    public Task Next() => Volatile.Read(ref _next).Task;

    public void Notify() => Interlocked.Exchange(ref _next, NewSource()).TrySetResult();

    // Continuations run elsewhere, so Notify never runs a delivery loop on the publishing request's thread.
    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
