using System.Net;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Authorization;

/// <summary>An authenticated caller: the principal name, the roles its token carries (held for all keys) and its address.</summary>
public sealed record KmsCaller(string Principal, IReadOnlyList<string> TokenRoles, IPAddress? Address);

/// <summary>
/// Answers "may this caller do this action on this key?" from the caller's token roles, the stored role
/// assignments and the key's policy, through <see cref="PolicyEvaluator"/>. Assignments and policies are
/// cached like key metadata (<see cref="KmsOptions.MetadataCacheTtl"/>); changes made through this
/// instance invalidate them at once.
/// </summary>
public sealed class AccessControl
{
    private readonly IRoleAssignmentStore _assignments;
    private readonly IKeyPolicyStore _policies;
    private readonly TimeProvider _time;
    private readonly ExpiringCache<string, IReadOnlyList<RoleAssignment>> _assignmentCache;
    private readonly ExpiringCache<string, KeyPolicy?> _policyCache;

    public AccessControl(IRoleAssignmentStore assignments, IKeyPolicyStore policies, TimeProvider time, IOptions<KmsOptions> options)
    {
        _assignments = assignments;
        _policies = policies;
        _time = time;
        var o = options.Value;
        _assignmentCache = new(time, o.MetadataCacheTtl, o.MetadataCacheSize);
        _policyCache = new(time, o.MetadataCacheTtl, o.MetadataCacheSize);
    }

    public async ValueTask<AccessDecision> DecideAsync(KmsCaller caller, string action, string? keyId,
        IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken)
    {
        var grants = await GrantsAsync(caller, cancellationToken);
        var policy = keyId is null || KmsActions.KeyIndependent.Contains(action) ? null : await PolicyAsync(keyId, cancellationToken);
        var request = new AccessRequest(caller.Principal, action, keyId, context, caller.Address, _time.GetUtcNow());
        return PolicyEvaluator.Evaluate(request, grants, policy);
    }

    /// <summary>Token roles count for all keys; stored assignments carry their own scope.</summary>
    public async ValueTask<IReadOnlyList<RoleGrant>> GrantsAsync(KmsCaller caller, CancellationToken cancellationToken)
    {
        if (!_assignmentCache.TryGet(caller.Principal, out var assignments))
        {
            assignments = await _assignments.ListForPrincipalAsync(caller.Principal, cancellationToken);
            _assignmentCache.Set(caller.Principal, assignments);
        }

        var grants = new List<RoleGrant>(caller.TokenRoles.Count + assignments.Count);
        grants.AddRange(caller.TokenRoles.Where(KmsRoles.IsKnown).Select(r => new RoleGrant(r, RoleGrant.AllKeys, "token")));
        grants.AddRange(assignments.Select(a => new RoleGrant(a.Role, a.Scope, "assignment:" + a.Id)));
        return grants;
    }

    public async ValueTask<KeyPolicy?> PolicyAsync(string keyId, CancellationToken cancellationToken)
    {
        if (!_policyCache.TryGet(keyId, out var policy))
        {
            var stored = await _policies.GetPolicyAsync(keyId, cancellationToken);
            policy = stored is null ? null : KeyPolicyDocument.Parse(stored.Document);
            _policyCache.Set(keyId, policy);
        }

        return policy;
    }

    public void InvalidatePrincipal(string principal) => _assignmentCache.Remove(principal);

    public void InvalidatePolicy(string keyId) => _policyCache.Remove(keyId);
}
