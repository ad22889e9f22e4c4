namespace Kms.Api.Contracts;

// Bodies of the access-control and approval routes.

public sealed record SimulateRequest(
    string? Principal,
    string? Action,
    List<string>? Roles = null,
    string? KeyId = null,
    Dictionary<string, string>? Context = null,
    string? CallerAddress = null);

/// <param name="Source">ROLE, ALLOW_STATEMENT, DENY_STATEMENT or DEFAULT_DENY.</param>
public sealed record SimulateResponse(bool Allowed, string Source, string Reason);

public sealed record RoleAssignmentRequest(string? Principal, string? Role, string? Scope = null);

public sealed record RoleAssignmentResponse(string Id, string Principal, string Role, string Scope, string CreatedBy, DateTimeOffset CreatedAt);

public sealed record RoleAssignmentListResponse(IReadOnlyList<RoleAssignmentResponse> Assignments);

// The key policy document (see docs/authorization.md). These records describe it in the OpenAPI document;
// the handler validates the body with KeyPolicyDocument, which reports errors with their JSON path.

public sealed record KeyPolicyBody(string Version, IReadOnlyList<PolicyStatementBody> Statements);

public sealed record PolicyStatementBody(
    string? Sid,
    string Effect,
    IReadOnlyList<string> Principals,
    IReadOnlyList<string> Actions,
    PolicyConditionsBody? Conditions);

public sealed record PolicyConditionsBody(
    Dictionary<string, string>? ContextKeyEquals,
    IReadOnlyList<string>? ContextKeyPresent,
    IReadOnlyList<string>? SourceAddressInCidr,
    DateTimeOffset? NotBefore,
    DateTimeOffset? NotAfter);
