namespace Kms.Api.Contracts;

/// <summary>A long-running operation (orchestration): where it is, what it passed, what went wrong.</summary>
/// <param name="State">PENDING, RUNNING, PAUSED, COMPLETED, FAILED or CANCELED.</param>
/// <param name="Step">The step it is on (or ended on), e.g. create-version, canary, promote, roll-back, done.</param>
/// <param name="Checkpoints">Steps completed, in order, e.g. version-created, canary-passed, promoted.</param>
/// <param name="Version">The key version the operation works on, once known.</param>
/// <param name="StatusUrl">Where to poll it.</param>
public sealed record OperationResponse(
    string OperationId,
    string Type,
    string? KeyId,
    string State,
    string? Step,
    IReadOnlyList<string> Checkpoints,
    int? Version,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    string StatusUrl);

public sealed record OperationListResponse(IReadOnlyList<OperationResponse> Operations, string? ContinuationToken);
