using Kms.Core.Services;
using Microsoft.DurableTask;

namespace Kms.Workflows.Revocation;

// Thin activities over KeyRevocationSteps and KeyDestructionSteps, which are idempotent: a re-delivered activity is harmless.

/// <summary>Revokes the versions (again: the HTTP request did it first; a re-run changes nothing).</summary>
public sealed class RevokeVersionsActivity(KeyRevocationSteps steps) : TaskActivity<RevocationStep, RevocationResult>
{
    public override Task<RevocationResult> RunAsync(TaskActivityContext context, RevocationStep input) => Execute(steps, input);

    public static Task<RevocationResult> Execute(KeyRevocationSteps steps, RevocationStep input) =>
        steps.RevokeAsync(input.KeyId, input.Versions, input.Reason, input.OperationId, input.Actor, CancellationToken.None);
}

/// <summary>Waits (briefly) until the KeyVersionRevoked events have been published; returns when, or null.</summary>
public sealed class AwaitRevocationPublishedActivity(KeyRevocationSteps steps) : TaskActivity<PublishWait, DateTimeOffset?>
{
    /// <summary>Well inside the activity visibility timeout (one minute by default).</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public override Task<DateTimeOffset?> RunAsync(TaskActivityContext context, PublishWait input) => Execute(steps, input);

    public static Task<DateTimeOffset?> Execute(KeyRevocationSteps steps, PublishWait input) =>
        steps.WaitUntilPublishedAsync(input.KeyId, input.EventIds, Wait, CancellationToken.None);
}

/// <summary>Destroys the material of the versions this revocation revoked.</summary>
public sealed class DestroyRevokedVersionsActivity(KeyDestructionSteps steps) : TaskActivity<RevocationStep, int[]>
{
    public override Task<int[]> RunAsync(TaskActivityContext context, RevocationStep input) => Execute(steps, input);

    public static Task<int[]> Execute(KeyDestructionSteps steps, RevocationStep input) =>
        steps.DestroyRevokedAsync(input.KeyId, input.OperationId, input.Actor, CancellationToken.None);
}
