using Kms.Core.Services;
using Microsoft.DurableTask;

namespace Kms.Workflows.Deletion;

/// <summary>True while the key is still pending deletion for the date the operation was started with.</summary>
public sealed class CheckDeletionPendingActivity(KeyDestructionSteps steps) : TaskActivity<DeletionInput, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, DeletionInput input) => Execute(steps, input);

    public static Task<bool> Execute(KeyDestructionSteps steps, DeletionInput input) =>
        steps.IsDeletionPendingAsync(input.KeyId, input.DeletionDate, CancellationToken.None);
}

/// <summary>Destroys the key (false when its deletion was cancelled or rescheduled meanwhile).</summary>
public sealed class DestroyKeyActivity(KeyDestructionSteps steps) : TaskActivity<DeletionInput, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, DeletionInput input) => Execute(steps, input);

    public static Task<bool> Execute(KeyDestructionSteps steps, DeletionInput input) =>
        steps.DestroyKeyAsync(input.KeyId, input.DeletionDate, input.Actor, CancellationToken.None);
}
