using Kms.Core.Services;
using Kms.Workflows.Approvals;
using Kms.Workflows.Operations;
using Kms.Workflows.Rewrap;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;

namespace Kms.Workflows.Revocation;

/// <summary>
/// Emergency revocation. The request itself revoked the versions (so they are refused before this runs); the
/// orchestration then: records time to revoke once the KeyVersionRevoked events are out -> creates, probes and promotes
/// a replacement primary -> rewraps every named source off the revoked versions (a rewrap campaign
/// per source, an operation of its own that alone may open them) -> waits for M-of-N approvals -> destroys the revoked
/// material. Nothing here ever un-revokes: a failed step ends the operation Failed with the versions still revoked and
/// their material kept, for an operator to finish by hand.
/// </summary>
public sealed class RevocationOrchestrator : TaskOrchestrator<RevocationInput, RevocationOutput>
{
    public override Task<RevocationOutput> RunAsync(TaskOrchestrationContext context, RevocationInput input) =>
        OperationEnd.TrackAsync(context, OperationTypes.Revocation, () => RunCoreAsync(context, input));

    private static async Task<RevocationOutput> RunCoreAsync(TaskOrchestrationContext context, RevocationInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var step = new RevocationStep(input.KeyId, context.InstanceId, input.Versions, input.Reason, input.RequestedBy, input.RequestId);
        var gate = new ApprovalGate(input.RequiredApprovals, input.RequestedBy);
        var progress = new OperationProgress(RevocationSteps.Revoke, [], Approvals: gate.Progress);
        void Report(OperationProgress p) => context.SetCustomStatus(progress = p with { Approvals = gate.Progress });
        Report(progress);

        await context.CallActivityAsync<RevocationResult>(nameof(RevokeVersionsActivity), step, RotationOrchestrator.StepRetry);
        var revokedMs = (input.Revoked.RevokedAt.UtcDateTime - input.RequestedAt).TotalMilliseconds;
        Report(progress.Passed(RevocationSteps.Revoked).Next(RevocationSteps.Announce) with { TimeToRevoke = new TimeToRevoke(revokedMs, null) });

        if (input.Revoked.EventIds.Length > 0)
        {
            var published = await context.CallActivityAsync<DateTimeOffset?>(nameof(AwaitRevocationPublishedActivity),
                new PublishWait(input.KeyId, input.Revoked.EventIds), RotationOrchestrator.StepRetry);
            var publishedMs = published is { } at ? (at.UtcDateTime - input.RequestedAt).TotalMilliseconds : (double?)null;
            Report(progress.Passed(RevocationSteps.Announced) with { TimeToRevoke = new TimeToRevoke(revokedMs, publishedMs) });
        }

        // Always a fresh primary, even when only older versions were revoked: whatever exposed them may have exposed the
        // primary too, and the rewrapped data should land on material made after the incident.
        Report(progress.Next(RevocationSteps.Replace));
        var replacement = await ReplacePrimaryAsync(context, input);
        Report(progress.Passed(RevocationSteps.ReplacementPromoted) with { Version = replacement });

        for (var i = 0; i < input.Sources.Length; i++)
        {
            var campaignId = CampaignStart.ChildId(context.InstanceId, OperationTypes.Revocation, input.KeyId, i + 1);
            Report(progress.Next(RevocationSteps.Rewrap) with { Related = [.. progress.Related ?? [], campaignId] });
            var campaign = new RewrapInput(input.KeyId, input.Versions, input.Sources[i], false, input.RequestedBy, input.RequestId, context.InstanceId);
            await context.CallActivityAsync<string>(nameof(StartRewrapCampaignActivity), new CampaignStart(campaignId, campaign),
                RotationOrchestrator.StepRetry);
            var ended = await WaitForCampaignAsync(context, campaignId);
            if (ended.State != "COMPLETED")
            {
                throw Fail(context, progress, $"the rewrap campaign {campaignId} ended {ended.State} ({ended.Error ?? "no error"}); " +
                    "the versions stay revoked and their material is kept");
            }

            Report(progress.Passed($"{RevocationSteps.Rewrapped}-{i + 1}"));
        }

        Report(progress.Next(RevocationSteps.AwaitApprovals));
        if (!await gate.WaitAsync(context, context.CurrentUtcDateTime + input.ApprovalTimeout, () => Report(progress)))
        {
            Report(progress.Passed(RevocationSteps.ApprovalsExpired).Next(RevocationSteps.Done));
            return new RevocationOutput(input.KeyId, input.Versions, replacement, false);
        }

        Report(progress.Passed(RevocationSteps.Approved).Next(RevocationSteps.Destroy));
        await context.CallActivityAsync<int[]>(nameof(DestroyRevokedVersionsActivity), step, RotationOrchestrator.StepRetry);
        Report(progress.Passed(RevocationSteps.Destroyed).Next(RevocationSteps.Done));
        return new RevocationOutput(input.KeyId, input.Versions, replacement, true);
    }

    /// <summary>The staged rotation's steps, tagged with this operation: create a version, probe it, promote it.</summary>
    private static async Task<int> ReplacePrimaryAsync(TaskOrchestrationContext context, RevocationInput input)
    {
        var rotation = new RotationStep(input.KeyId, context.InstanceId, input.RequestedBy, input.RequestId);
        var standby = await context.CallActivityAsync<StandbyVersion>(nameof(CreateStandbyVersionActivity), rotation, RotationOrchestrator.StepRetry);
        rotation = rotation with { Standby = standby };
        var probe = await context.CallActivityAsync<ProbeResult>(nameof(ProbeVersionActivity), rotation, RotationOrchestrator.StepRetry);
        if (!probe.Passed)
        {
            await context.CallActivityAsync<bool>(nameof(RollBackRotationActivity), rotation with { Reason = "replacement failed its canary: " + probe.Reason },
                RotationOrchestrator.StepRetry);
            throw new RevocationFailedException($"The replacement version {standby.Version} failed its canary ({probe.Reason}) and was disabled; " +
                $"rotate key {input.KeyId} by hand (if its primary was revoked, it cannot encrypt or sign until then).");
        }

        await context.CallActivityAsync<bool>(nameof(PromoteVersionActivity), rotation, RotationOrchestrator.StepRetry);
        return standby.Version;
    }

    /// <summary>At 30 s between polls once the campaign runs long, about a week: history stays bounded.</summary>
    public const int MaxCampaignPolls = 20_000;

    /// <summary>Polls the campaign with durable timers, from every 2 s up to every 30 s, until it ends (or the polls run out).</summary>
    private static async Task<CampaignState> WaitForCampaignAsync(TaskOrchestrationContext context, string campaignId)
    {
        var interval = TimeSpan.FromSeconds(2);
        for (var poll = 0; poll < MaxCampaignPolls; poll++)
        {
            await context.CreateTimer(interval, CancellationToken.None);
            var state = await context.CallActivityAsync<CampaignState>(nameof(GetCampaignStateActivity), campaignId, RotationOrchestrator.StepRetry);
            if (state.Ended)
            {
                return state;
            }

            interval = TimeSpan.FromSeconds(Math.Min(30, interval.TotalSeconds * 1.5));
        }

        return new CampaignState("RUNNING", "the revocation stopped waiting for it; it may still be running");
    }

    private static RevocationFailedException Fail(TaskOrchestrationContext context, OperationProgress progress, string error)
    {
        context.SetCustomStatus(progress with { Error = error });
        return new RevocationFailedException(error);
    }
}
