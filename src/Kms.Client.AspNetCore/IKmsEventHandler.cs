namespace Kms.Client.AspNetCore;

/// <summary>
/// The app's own reaction to KMS events (log, page someone, count). Register any number in DI; each is called for every
/// event the webhook receives, known or not, after the caches were evicted and before the topic gets its answer.
/// </summary>
/// <remarks>
/// Delivery is at least once; the listener skips an id it handled recently (see <see cref="KmsEventsOptions.DeduplicationCapacity"/>),
/// but after a restart the same event can come again. A handler that throws makes the webhook answer 500, so the topic
/// retries the delivery (the eviction runs again, which is harmless).
/// </remarks>
public interface IKmsEventHandler
{
    Task HandleAsync(KmsKeyEvent kmsEvent, CancellationToken cancellationToken);
}
