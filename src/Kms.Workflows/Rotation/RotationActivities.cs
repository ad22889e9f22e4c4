using Kms.Core;
using Kms.Core.Services;
using Microsoft.DurableTask;

namespace Kms.Workflows.Rotation;

// Thin activities over KeyRotationSteps: each step is idempotent there, so a re-delivered activity is harmless.
// Execute is what the Functions app's activity triggers call; RunAsync is what the Durable Task worker calls.

/// <summary>Makes the standby version (or finds the one this operation already made).</summary>
public sealed class CreateStandbyVersionActivity(KeyRotationSteps steps) : TaskActivity<RotationStep, StandbyVersion>
{
    public override Task<StandbyVersion> RunAsync(TaskActivityContext context, RotationStep input) => Execute(steps, input);

    public static Task<StandbyVersion> Execute(KeyRotationSteps steps, RotationStep input) =>
        steps.CreateStandbyAsync(input.KeyId, input.OperationId, input.Actor, CancellationToken.None);
}

/// <summary>The canary round trip with the standby version.</summary>
public sealed class ProbeVersionActivity(KeyRotationSteps steps) : TaskActivity<RotationStep, ProbeResult>
{
    public override Task<ProbeResult> RunAsync(TaskActivityContext context, RotationStep input) => Execute(steps, input);

    public static Task<ProbeResult> Execute(KeyRotationSteps steps, RotationStep input) =>
        steps.ProbeAsync(input.KeyId, input.RequireStandby().Version, CancellationToken.None);
}

/// <summary>Promotes the standby version to primary.</summary>
public sealed class PromoteVersionActivity(KeyRotationSteps steps) : TaskActivity<RotationStep, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, RotationStep input) => Execute(steps, input);

    public static async Task<bool> Execute(KeyRotationSteps steps, RotationStep input)
    {
        await steps.PromoteAsync(input.KeyId, input.RequireStandby(), input.Actor, CancellationToken.None);
        return true;
    }
}

/// <summary>Rolls the rotation back: previous primary restored, standby disabled, KeyRotationFailed published.</summary>
public sealed class RollBackRotationActivity(KeyRotationSteps steps) : TaskActivity<RotationStep, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, RotationStep input) => Execute(steps, input);

    public static async Task<bool> Execute(KeyRotationSteps steps, RotationStep input)
    {
        await steps.RollBackAsync(input.KeyId, input.RequireStandby(), input.Reason ?? "rotation failed", input.Actor, CancellationToken.None);
        return true;
    }
}
