using System.Net;

namespace Kms.Core.Authorization;

/// <summary>Who holds a role and where: <see cref="Scope"/> is "*" (all keys) or one key id.</summary>
/// <param name="Source">Where the grant came from, for explanations: "token" or "assignment:{id}".</param>
public sealed record RoleGrant(string Role, string Scope, string Source)
{
    public const string AllKeys = "*";
}

/// <summary>One question to the evaluator: may <see cref="Principal"/> do <see cref="Action"/> on <see cref="KeyId"/>?</summary>
/// <param name="KeyId">Null for key-independent actions (see <see cref="KmsActions.KeyIndependent"/>).</param>
/// <param name="Context">The request's encryption context (values are compared, never logged).</param>
public sealed record AccessRequest(
    string Principal,
    string Action,
    string? KeyId,
    IReadOnlyDictionary<string, string>? Context,
    IPAddress? CallerAddress,
    DateTimeOffset Time);

public enum DecisionSource
{
    /// <summary>A role held by the principal granted the action.</summary>
    Role,
    /// <summary>An Allow statement of the key policy granted the action.</summary>
    AllowStatement,
    /// <summary>A Deny statement of the key policy refused the action (it wins over any Allow).</summary>
    DenyStatement,
    /// <summary>Nothing granted the action.</summary>
    DefaultDeny,
}

/// <summary>The answer and what decided it, e.g. "role kms.crypto (token)" or "statement DenyOutsideOffice".</summary>
public sealed record AccessDecision(bool Allowed, DecisionSource Source, string Reason)
{
    public static AccessDecision ByRole(RoleGrant grant) => new(true, DecisionSource.Role, $"role {grant.Role} ({grant.Source}, scope {grant.Scope})");

    public static AccessDecision ByStatement(PolicyStatement statement, int index) =>
        new(statement.Effect == PolicyEffect.Allow,
            statement.Effect == PolicyEffect.Allow ? DecisionSource.AllowStatement : DecisionSource.DenyStatement,
            $"key policy statement {statement.Sid ?? "#" + index} ({statement.Effect})");

    public static AccessDecision Default(string action) =>
        new(false, DecisionSource.DefaultDeny, $"no role or key policy statement grants {action}");
}
