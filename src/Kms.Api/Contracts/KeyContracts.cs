namespace Kms.Api.Contracts;

// Request and response bodies of the key-management routes. Request properties are nullable so a
// missing field is reported by name instead of failing deserialization.

public sealed record CreateKeyRequest(
    string? KeySpec,
    string? KeyUsage = null,
    string? Alias = null,
    string? Description = null,
    Dictionary<string, string>? Tags = null,
    bool? DeletionProtection = null);

public sealed record KeyResponse(
    string KeyId,
    string KeySpec,
    string KeyUsage,
    string State,
    int PrimaryVersion,
    int LatestVersion,
    string? Description,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyList<string>? Aliases,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool DeletionProtection,
    DateTimeOffset? DeletionDate,
    int? RotationPeriodDays = null,
    DateTimeOffset? NextRotationAt = null);

/// <summary>Body of <c>PUT /api/keys/{keyId}/rotation-policy</c>: a period of 1 to 3650 days, or null (or absent) for none.</summary>
public sealed record RotationPolicyRequest(int? RotationPeriodDays = null);

public sealed record KeyListResponse(IReadOnlyList<KeyResponse> Keys, string? ContinuationToken);

public sealed record KeyVersionResponse(
    string KeyId,
    int Version,
    string State,
    bool Primary,
    DateTimeOffset CreatedAt,
    DateTimeOffset StateChangedAt);

public sealed record KeyVersionListResponse(string KeyId, int PrimaryVersion, IReadOnlyList<KeyVersionResponse> Versions);

public sealed record RotateKeyResponse(string KeyId, int Version, int PrimaryVersion);

public sealed record PutAliasRequest(string? KeyId);

public sealed record AliasResponse(string Alias, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

public sealed record ComponentHealthResponse(string Status, string? Detail);

/// <param name="Events">Event delivery as this instance sees it; absent when events are off.</param>
public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, ComponentHealthResponse> Components, EventDeliveryResponse? Events = null);

/// <summary>Published versus pending events (the audit delivery rate). "degraded" when rows were poisoned or the
/// oldest pending one waits longer than the alert threshold.</summary>
public sealed record EventDeliveryResponse(
    string Status,
    long Published,
    long PublishFailures,
    long Pending,
    long Poisoned,
    DateTimeOffset? OldestPendingAt,
    DateTimeOffset? LastSweepAt,
    DateTimeOffset? LastPublishedAt,
    string? LastError);

public sealed record ScheduleDeletionRequest(int? WaitingDays = null);

public sealed record DeletionProtectionRequest(bool? Enabled);

