using Kms.Core.Services;
using Kms.Workflows.Operations;
using Kms.Workflows.Rewrap;
using Microsoft.DurableTask;

namespace Kms.Workflows.Rotation;

/// <summary>
/// Staged rotation: create a standby version -> canary probe with it -> promote it to primary -> optionally start rewrap
/// campaigns of stored data onto it. KeyVersionCreated and
/// KeyRotated are published by the steps' own transactions. If the probe fails, or a step keeps failing, the rotation
/// is rolled back (previous primary kept, standby disabled, KeyRotationFailed) and the operation ends Failed.
/// </summary>
public sealed class RotationOrchestrator : TaskOrchestrator<RotationInput, RotationOutput>
{
    /// <summary>Steps retried on transient failures (storage or HSM briefly unavailable) before the rotation gives up.</summary>
    internal static readonly TaskOptions StepRetry = TaskOptions.FromRetryPolicy(new RetryPolicy(4, TimeSpan.FromSeconds(2), 2, TimeSpan.FromSeconds(30)));

    public override Task<RotationOutput> RunAsync(TaskOrchestrationContext context, RotationInput input) =>
        OperationEnd.TrackAsync(context, OperationTypes.Rotation, () => RunCoreAsync(context, input));

    private static async Task<RotationOutput> RunCoreAsync(TaskOrchestrationContext context, RotationInput input)
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

        progress = progress.Passed(RotationSteps.Promoted);
        if (input.Rewrap is { Sources.Length: > 0 } rewrap)
        {
            progress = await StartRewrapsAsync(context, input, rewrap, progress.Next(RotationSteps.StartRewrap));
        }

        context.SetCustomStatus(progress.Next(RotationSteps.Done));
        return new RotationOutput(input.KeyId, standby.Version, standby.PreviousPrimary);
    }

    /// <summary>
    /// Starts a campaign per source and does not wait for them: each is an operation of its own (in <c>related</c>). The
    /// rotation stands whatever happens here; a campaign that cannot be started is reported as the operation's error.
    /// </summary>
    private static async Task<OperationProgress> StartRewrapsAsync(TaskOrchestrationContext context, RotationInput input, RewrapAfterRotation rewrap,
        OperationProgress progress)
    {
        var related = new List<string>();
        for (var i = 0; i < rewrap.Sources.Length; i++)
        {
            var id = CampaignStart.ChildId(context.InstanceId, OperationTypes.Rotation, input.KeyId, i + 1);
            context.SetCustomStatus(progress with { Related = [.. related, id] });
            try
            {
                await context.CallActivityAsync<string>(nameof(StartRewrapCampaignActivity), new CampaignStart(id,
                    new RewrapInput(input.KeyId, null, rewrap.Sources[i], rewrap.DisableOldVersions, input.RequestedBy, input.RequestId)), StepRetry);
                related.Add(id);
            }
            catch (TaskFailedException e)
            {
                return progress with { Related = related, Error = $"the rotation is done, but rewrap campaign {id} could not be started: {e.FailureDetails.ErrorMessage}" };
            }
        }

        return progress.Passed(RotationSteps.RewrapStarted) with { Related = related };
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
    public const string StartRewrap = "start-rewrap";
    public const string RewrapStarted = "rewrap-started";
    public const string RollBack = "roll-back";
    public const string RolledBack = "rolled-back";
    public const string Done = "done";
}

/// <summary>Ends a rotation that was rolled back, so the operation shows Failed with the reason.</summary>
public sealed class RotationFailedException(string message) : Exception(message);
