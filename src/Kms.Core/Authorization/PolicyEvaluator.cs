using System.Net;
using System.Runtime.CompilerServices;

namespace Kms.Core.Authorization;

/// <summary>
/// Decides one <see cref="AccessRequest"/>:
/// 1. a matching Deny statement of the key policy refuses (Deny wins over everything);
/// 2. else a role held in scope that grants the action allows (first match in grant order);
/// 3. else a matching Allow statement of the key policy allows;
/// 4. else default deny.
/// Key policies do not apply to key-independent actions, nor to reading or replacing the policy itself
/// (so a policy can never lock its administrators out).
/// </summary>
public static class PolicyEvaluator
{
    // Parsed networks per statement, so the hot path does not parse CIDR strings on every request.
    private static readonly ConditionalWeakTable<PolicyConditions, IPNetwork[]> Networks = new();

    public static AccessDecision Evaluate(AccessRequest request, IReadOnlyList<RoleGrant> grants, KeyPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(grants);
        var policyApplies = policy is not null && request.KeyId is not null
            && !KmsActions.PolicyManagement.Contains(request.Action) && !KmsActions.KeyIndependent.Contains(request.Action);

        if (policyApplies && FirstMatch(policy!, PolicyEffect.Deny, request) is { } deny)
        {
            return AccessDecision.ByStatement(deny.Statement, deny.Index);
        }

        var keyIndependent = KmsActions.KeyIndependent.Contains(request.Action);
        foreach (var grant in grants)
        {
            var inScope = grant.Scope == RoleGrant.AllKeys
                || (!keyIndependent && request.KeyId is not null && string.Equals(grant.Scope, request.KeyId, StringComparison.Ordinal));
            if (inScope && KmsRoles.GrantsAction(grant.Role, request.Action))
            {
                return AccessDecision.ByRole(grant);
            }
        }

        if (policyApplies && FirstMatch(policy!, PolicyEffect.Allow, request) is { } allow)
        {
            return AccessDecision.ByStatement(allow.Statement, allow.Index);
        }

        return AccessDecision.Default(request.Action);
    }

    private static (PolicyStatement Statement, int Index)? FirstMatch(KeyPolicy policy, PolicyEffect effect, AccessRequest request)
    {
        for (var i = 0; i < policy.Statements.Count; i++)
        {
            var statement = policy.Statements[i];
            if (statement.Effect == effect && Matches(statement, request))
            {
                return (statement, i);
            }
        }

        return null;
    }

    private static bool Matches(PolicyStatement statement, AccessRequest request) =>
        (statement.Principals.Contains("*") || statement.Principals.Contains(request.Principal, StringComparer.Ordinal))
        && (statement.Actions.Contains(KmsActions.Wildcard) || statement.Actions.Contains(request.Action, StringComparer.Ordinal))
        && (statement.Conditions is null || ConditionsHold(statement.Conditions, request));

    private static bool ConditionsHold(PolicyConditions conditions, AccessRequest request)
    {
        if (conditions.ContextKeyEquals is { } equals)
        {
            foreach (var (key, value) in equals)
            {
                if (request.Context is null || !request.Context.TryGetValue(key, out var actual) || !string.Equals(actual, value, StringComparison.Ordinal))
                {
                    return false;
                }
            }
        }

        if (conditions.ContextKeyPresent is { } present && present.Any(key => request.Context is null || !request.Context.ContainsKey(key)))
        {
            return false;
        }

        if (conditions.SourceAddressInCidr is { Count: > 0 })
        {
            if (request.CallerAddress is not { } address)
            {
                return false;
            }

            var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
            var networks = Networks.GetValue(conditions, static c => c.SourceAddressInCidr!.Select(n => IPNetwork.Parse(n)).ToArray());
            if (!networks.Any(n => n.Contains(normalized)))
            {
                return false;
            }
        }

        return (conditions.NotBefore is not { } notBefore || request.Time >= notBefore)
            && (conditions.NotAfter is not { } notAfter || request.Time < notAfter);
    }
}
