using Kms.Core.Errors;

namespace Kms.Core.Internal;

/// <summary>Re-runs a read-modify-write that lost an ETag race, a few times, with jitter.</summary>
internal static class ConflictRetry
{
    public const int DefaultAttempts = 4;

    public static async Task<T> RunAsync<T>(Func<Task<T>> action, int attempts = DefaultAttempts)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (KmsException e) when (e.Code == KmsErrorCodes.ConcurrentModification && attempt < attempts)
            {
                // Jitter so two writers that collided do not collide again in lockstep.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * attempt)));
            }
        }
    }
}
