using Kms.Core;
using Kms.Core.Ports;

namespace Kms.Workflows.Rewrap;

/// <summary>What a rewrap campaign does: move the key's items in <paramref name="Source"/> onto its primary version.</summary>
/// <param name="FromVersions">Versions to move off; null means every version but the primary.</param>
/// <param name="DisableOldVersions">After a clean verification, disable the versions moved off.</param>
/// <param name="Revocation">Set when a revocation runs the campaign: it may then open the versions that revocation revoked.</param>
public sealed record RewrapInput(string KeyId, int[]? FromVersions, RewrapSourceSpec Source, bool DisableOldVersions, string RequestedBy,
    string? RequestId, string? Revocation = null)
{
    public Actor Actor => new(RequestedBy, RequestId);
}

/// <summary>The campaign's running state, carried across ContinueAsNew so history stays short however many pages there are.</summary>
/// <param name="Phase">count, rewrap or verify.</param>
/// <param name="Pass">1 for the first sweep; items that changed concurrently or failed get up to <see cref="RewrapOrchestrator.MaxPasses"/>.</param>
public sealed record RewrapState(string Phase, int Pass, string? Continuation, long Done, long Skipped, long Failed, long Conflicts, long? Total,
    long Remaining, DateTime StartedAt);

public sealed record RewrapPageRequest(RewrapInput Input, string? Continuation);

/// <param name="Conflicts">Items that kept changing under the campaign: left as they are for the next pass.</param>
public sealed record RewrapPageResult(int Done, int Skipped, int Failed, int Conflicts, string? Next);

/// <param name="Remaining">Items of this key still on a version the campaign moves off.</param>
public sealed record VerifyPageResult(int Remaining, string? Next);

/// <summary>Progress as the status API shows it.</summary>
public sealed record RewrapProgress(long Done, long Skipped, long Failed, long? Total, double ItemsPerSecond, double? EtaSeconds, int Pass);
