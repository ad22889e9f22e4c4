namespace Kms.Core.Authorization;

public enum PolicyEffect
{
    Allow,
    Deny,
}

/// <summary>
/// A key policy: Allow and Deny statements evaluated with the principal's roles (see PolicyEvaluator).
/// The JSON form is documented in docs/authorization.md and parsed by KeyPolicyDocument.
/// </summary>
public sealed record KeyPolicy(string Version, IReadOnlyList<PolicyStatement> Statements)
{
    public const string CurrentVersion = "2026-11-30";
}

/// <param name="Principals">Principal names, or "*" for every authenticated principal.</param>
/// <param name="Actions">Action names from <see cref="KmsActions"/>, or "kms:*".</param>
/// <param name="Conditions">All must hold for the statement to apply; null when unconditional.</param>
public sealed record PolicyStatement(
    string? Sid,
    PolicyEffect Effect,
    IReadOnlyList<string> Principals,
    IReadOnlyList<string> Actions,
    PolicyConditions? Conditions);

/// <param name="ContextKeyEquals">Every pair must be present in the encryption context with this exact value.</param>
/// <param name="ContextKeyPresent">Every key must be present in the encryption context.</param>
/// <param name="SourceAddressInCidr">The caller's address must fall in one of these networks.</param>
/// <param name="NotBefore">The statement applies from this instant.</param>
/// <param name="NotAfter">The statement applies until this instant.</param>
public sealed record PolicyConditions(
    IReadOnlyDictionary<string, string>? ContextKeyEquals = null,
    IReadOnlyList<string>? ContextKeyPresent = null,
    IReadOnlyList<string>? SourceAddressInCidr = null,
    DateTimeOffset? NotBefore = null,
    DateTimeOffset? NotAfter = null);
