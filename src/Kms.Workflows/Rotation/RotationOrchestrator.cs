using Kms.Core.Services;
using Kms.Workflows.Operations;
using Microsoft.DurableTask;

namespace Kms.Workflows.Rotation;

/// <summary>
/// Staged rotation: create a standby version -> canary probe with it -> promote it to primary. KeyVersionCreated and
/// KeyRotated are published by the steps' own transactions. If the probe fails, or a step keeps failing, the rotation
/// is rolled back (previous primary kept, standby disabled, KeyRotationFailed) and the operation ends Failed.
/// </summary>
public sealed class RotationOrchestrator : TaskOrchestrator<RotationInput, RotationOutput>
{
    /// <summary>Steps retried on transient failures (storage or HSM briefly unavailable) before the rotation gives up.</summary>
    internal static readonly TaskOptions StepRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(4, TimeSpan.FromSeconds(2), 2, TimeSpan.FromSeconds(30)));

    public override async Task<RotationOutput> RunAsync(TaskOrchestrationContext context, RotationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var step = new RotationStep(input.KeyId, context.InstanceId, input.RequestedBy, input.RequestId);
        var progress = new OperationProgress(RotationSteps.CreateVersion, []);
        context.SetCustomStatus(progress);

        var standby = await context.CallActivityAsync<StandbyVersion>(nameof(CreateStandbyVersionActivity), step, StepRetry);
        step = step with { Standby = standby };
        progress = progress.Passed(RotationSteps.VersionCreated).Next(RotationSteps.Canary) with { Version = standby.Version };
        context.SetCustomStatus(progress);

        string? failure;
        try
        {
            var probe = await context.CallActivityAsync<ProbeResult>(nameof(ProbeVersionActivity), step, StepRetry);
            failure = probe.Passed ? null : "canary probe failed: " + probe.Reason;
            if (failure is null)
            {
                progress = progress.Passed(RotationSteps.CanaryPassed).Next(RotationSteps.Promote);
                context.SetCustomStatus(progress);
                await context.CallActivityAsync<bool>(nameof(PromoteVersionActivity), step, StepRetry);
            }
        }
        catch (TaskFailedException e)
        {
            failure = $"step '{progress.Step}' failed: {e.FailureDetails.ErrorMessage}";
        }

        if (failure is not null)
        {
            progress = progress.Next(RotationSteps.RollBack) with { Error = failure };
            context.SetCustomStatus(progress);
            await context.CallActivityAsync<bool>(nameof(RollBackRotationActivity), step with { Reason = failure }, StepRetry);
            context.SetCustomStatus(progress.Passed(RotationSteps.RolledBack).Next(RotationSteps.RolledBack));
            throw new RotationFailedException($"The rotation of key {input.KeyId} was rolled back: {failure}. Version {standby.Version} is disabled; " +
                $"version {standby.PreviousPrimary} is still primary.");
        }

        context.SetCustomStatus(progress.Passed(RotationSteps.Promoted).Next(RotationSteps.Done));
        return new RotationOutput(input.KeyId, standby.Version, standby.PreviousPrimary);
    }
}

/// <summary>Step and checkpoint names of a rotation, as the status API shows them.</summary>
public static class RotationSteps
{
    public const string CreateVersion = "create-version";
    public const string VersionCreated = "version-created";
    public const string Canary = "canary";
    public const string CanaryPassed = "canary-passed";
    public const string Promote = "promote";
    public const string Promoted = "promoted";
    public const string RollBack = "roll-back";
    public const string RolledBack = "rolled-back";
    public const string Done = "done";
}

/// <summary>Ends a rotation that was rolled back, so the operation shows Failed with the reason.</summary>
public sealed class RotationFailedException(string message) : Exception(message);
