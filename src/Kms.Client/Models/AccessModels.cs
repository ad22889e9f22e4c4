using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>Built-in roles (docs/authorization.md).</summary>
public static class KmsRoles
{
    public const string Admin = "kms.admin";
    public const string Crypto = "kms.crypto";
    public const string Operator = "kms.operator";
    public const string Approver = "kms.approver";
    public const string Auditor = "kms.auditor";
}

/// <summary>A key policy document (docs/authorization.md): read it, change it, put it back.</summary>
public sealed class KeyPolicy
{
    /// <summary>The only policy language version the KMS accepts.</summary>
    public const string CurrentVersion = "2026-11-30";

    public string Version { get; set; } = CurrentVersion;

    public IList<KeyPolicyStatement> Statements { get; set; } = new List<KeyPolicyStatement>();
}

public sealed class KeyPolicyStatement
{
    public string? Sid { get; set; }

    /// <summary><c>Allow</c> or <c>Deny</c>.</summary>
    public string Effect { get; set; } = "Allow";

    /// <summary>Principal names, or <c>*</c>.</summary>
    public IList<string> Principals { get; set; } = new List<string>();

    /// <summary>Action names such as <c>kms:Decrypt</c>, or <c>kms:*</c>.</summary>
    public IList<string> Actions { get; set; } = new List<string>();

    public KeyPolicyConditions? Conditions { get; set; }
}

/// <summary>Every condition given must hold for the statement to apply.</summary>
public sealed class KeyPolicyConditions
{
    public IReadOnlyDictionary<string, string>? ContextKeyEquals { get; set; }

    public IList<string>? ContextKeyPresent { get; set; }

    public IList<string>? SourceAddressInCidr { get; set; }

    public DateTimeOffset? NotBefore { get; set; }

    public DateTimeOffset? NotAfter { get; set; }
}

/// <summary>The question for <see cref="KmsClient.SimulatePolicyAsync"/>: may this principal do this action?</summary>
public sealed class PolicySimulation
{
    public PolicySimulation(string principal, string action)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(principal);
        ArgumentException.ThrowIfNullOrWhiteSpace(action);
        Principal = principal;
        Action = action;
    }

    public string Principal { get; }

    public string Action { get; }

    /// <summary>Stands in for the token's roles.</summary>
    public IList<string>? Roles { get; set; }

    public string? KeyId { get; set; }

    public IReadOnlyDictionary<string, string>? Context { get; set; }

    public string? CallerAddress { get; set; }
}

/// <summary>The decision and the rule that made it.</summary>
public sealed class PolicyDecision
{
    [JsonConstructor]
    internal PolicyDecision(bool allowed, string source, string reason)
    {
        Allowed = allowed;
        Source = source;
        Reason = reason;
    }

    public bool Allowed { get; }

    /// <summary>ROLE, ALLOW_STATEMENT, DENY_STATEMENT or DEFAULT_DENY.</summary>
    public string Source { get; }

    public string Reason { get; }
}

/// <summary>A stored role assignment: a role for all keys (<c>*</c>) or one key.</summary>
public sealed class RoleAssignment
{
    [JsonConstructor]
    internal RoleAssignment(string id, string principal, string role, string scope, string createdBy, DateTimeOffset createdAt)
    {
        Id = id;
        Principal = principal;
        Role = role;
        Scope = scope;
        CreatedBy = createdBy;
        CreatedAt = createdAt;
    }

    public string Id { get; }

    public string Principal { get; }

    public string Role { get; }

    public string Scope { get; }

    public string CreatedBy { get; }

    public DateTimeOffset CreatedAt { get; }
}
