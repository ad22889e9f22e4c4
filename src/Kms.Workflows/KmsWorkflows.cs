using Kms.Workflows.Deletion;
using Kms.Workflows.Operations;
using Kms.Workflows.Revocation;
using Kms.Workflows.Rewrap;
using Kms.Workflows.RootRotation;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;

namespace Kms.Workflows;

/// <summary>The orchestrations and activities of the KMS, for whichever host runs them.</summary>
public static class KmsWorkflows
{
    /// <summary>Orchestrator names (their class names), as the Functions app must also declare them.</summary>
    public static IReadOnlyList<string> Orchestrators { get; } =
        [nameof(RotationOrchestrator), nameof(RewrapOrchestrator), nameof(RevocationOrchestrator), nameof(DeletionOrchestrator), nameof(RootRotationOrchestrator)];

    /// <summary>Activity names (their class names).</summary>
    public static IReadOnlyList<string> Activities { get; } =
    [
        nameof(CreateStandbyVersionActivity), nameof(ProbeVersionActivity), nameof(PromoteVersionActivity), nameof(RollBackRotationActivity),
        nameof(CountRewrapItemsActivity), nameof(RewrapPageActivity), nameof(VerifyRewrapPageActivity), nameof(DisableOldVersionsActivity),
        nameof(RevokeVersionsActivity), nameof(AwaitRevocationPublishedActivity), nameof(DestroyRevokedVersionsActivity),
        nameof(StartRewrapCampaignActivity), nameof(GetCampaignStateActivity),
        nameof(CheckDeletionPendingActivity), nameof(DestroyKeyActivity),
        nameof(CreateNextRootActivity), nameof(SweepRootPageActivity), nameof(SwitchRootActivity), nameof(RetireOldRootsActivity),
        nameof(RecordOperationEndedActivity),
    ];

    /// <summary>Registers every orchestrator and activity with the Durable Task worker (the local engine).</summary>
    public static void Register(DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        registry.AddOrchestrator<RotationOrchestrator>();
        registry.AddActivity<CreateStandbyVersionActivity>();
        registry.AddActivity<ProbeVersionActivity>();
        registry.AddActivity<PromoteVersionActivity>();
        registry.AddActivity<RollBackRotationActivity>();
        registry.AddOrchestrator<RewrapOrchestrator>();
        registry.AddActivity<CountRewrapItemsActivity>();
        registry.AddActivity<RewrapPageActivity>();
        registry.AddActivity<VerifyRewrapPageActivity>();
        registry.AddActivity<DisableOldVersionsActivity>();
        registry.AddOrchestrator<RevocationOrchestrator>();
        registry.AddActivity<RevokeVersionsActivity>();
        registry.AddActivity<AwaitRevocationPublishedActivity>();
        registry.AddActivity<DestroyRevokedVersionsActivity>();
        registry.AddActivity<StartRewrapCampaignActivity>();
        registry.AddActivity<GetCampaignStateActivity>();
        registry.AddOrchestrator<DeletionOrchestrator>();
        registry.AddActivity<CheckDeletionPendingActivity>();
        registry.AddActivity<DestroyKeyActivity>();
        registry.AddOrchestrator<RootRotationOrchestrator>();
        registry.AddActivity<CreateNextRootActivity>();
        registry.AddActivity<SweepRootPageActivity>();
        registry.AddActivity<SwitchRootActivity>();
        registry.AddActivity<RetireOldRootsActivity>();
        registry.AddActivity<RecordOperationEndedActivity>();
    }
}
