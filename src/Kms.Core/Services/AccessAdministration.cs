using System.Net;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;

namespace Kms.Core.Services;

/// <summary>Key policies, role assignments and policy simulation: the administration of access control.</summary>
public sealed class AccessAdministration
{
    private readonly IKeyStore _keys;
    private readonly IKeyPolicyStore _policies;
    private readonly IRoleAssignmentStore _assignments;
    private readonly AccessControl _control;
    private readonly IAccessGuard _access;
    private readonly ChangeEvents _events;
    private readonly TimeProvider _time;

    public AccessAdministration(IKeyStore keys, IKeyPolicyStore policies, IRoleAssignmentStore assignments, AccessControl control,
        IAccessGuard access, ChangeEvents events, TimeProvider time)
    {
        _keys = keys;
        _policies = policies;
        _assignments = assignments;
        _control = control;
        _access = access;
        _events = events;
        _time = time;
    }

    /// <summary>The key's policy, or null when it has none (roles alone decide).</summary>
    public async Task<StoredKeyPolicy?> GetPolicyAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, KmsActions.GetKeyPolicy, cancellationToken);
        return await _policies.GetPolicyAsync(key.KeyId, cancellationToken);
    }

    /// <summary>Validates and stores a policy document (canonical form); replaces any previous one.</summary>
    public async Task<StoredKeyPolicy> PutPolicyAsync(string keyId, string document, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, KmsActions.PutKeyPolicy, cancellationToken);
        var canonical = KeyPolicyDocument.Serialize(KeyPolicyDocument.Parse(document));
        var existing = await _policies.GetPolicyAsync(key.KeyId, cancellationToken);
        var stored = await _policies.PutPolicyAsync(
            new StoredKeyPolicy(key.KeyId, canonical, _time.GetUtcNow(), _access.Principal, existing?.ETag), _events.Policy(key.KeyId, canonical),
            cancellationToken);
        _control.InvalidatePolicy(key.KeyId);
        return stored;
    }

    /// <summary>What would happen if <paramref name="caller"/> asked for <paramref name="action"/>: stored assignments and policy apply.</summary>
    public async Task<AccessDecision> SimulateAsync(KmsCaller caller, string action, string? keyId, IReadOnlyDictionary<string, string>? context,
        CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.SimulatePolicy, null, null, cancellationToken);
        if (!KmsActions.All.Contains(action))
        {
            throw KmsErrors.Validation($"Unknown action '{Truncate(action)}'.");
        }

        string? id = null;
        if (keyId is not null)
        {
            id = (await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId)).KeyId;
        }

        return await _control.DecideAsync(caller, action, id, context, cancellationToken);
    }

    public async Task<RoleAssignment> AssignRoleAsync(string principal, string role, string scope, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ManageRoleAssignments, null, null, cancellationToken);
        if (string.IsNullOrWhiteSpace(principal) || principal.Length > 256)
        {
            throw KmsErrors.Validation("'principal' must be 1 to 256 characters.");
        }

        if (!KmsRoles.IsKnown(role))
        {
            throw KmsErrors.Validation($"Unknown role '{Truncate(role)}'. Expected one of: {string.Join(", ", KmsRoles.All)}.");
        }

        if (scope != RoleGrant.AllKeys)
        {
            var keyId = KeyIdentifiers.TryParseKeyId(scope, out var parsed)
                ? parsed
                : throw KmsErrors.Validation("'scope' must be \"*\" (all keys) or a key id.");
            scope = (await _keys.GetKeyAsync(keyId, cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId)).KeyId;
        }

        var assignment = await _assignments.CreateAsync(
            new RoleAssignment(Guid.NewGuid().ToString("D"), principal, role, scope, _access.Principal, _time.GetUtcNow()), cancellationToken);
        _control.InvalidatePrincipal(principal);
        return assignment;
    }

    public async Task<IReadOnlyList<RoleAssignment>> ListAssignmentsAsync(string? principal, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ManageRoleAssignments, null, null, cancellationToken);
        return await _assignments.ListAsync(principal, cancellationToken);
    }

    public async Task DeleteAssignmentAsync(string id, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ManageRoleAssignments, null, null, cancellationToken);
        var existing = (await _assignments.ListAsync(null, cancellationToken)).FirstOrDefault(a => a.Id == id)
            ?? throw KmsErrors.RoleAssignmentNotFound(id);
        await _assignments.DeleteAsync(id, cancellationToken);
        _control.InvalidatePrincipal(existing.Principal);
    }

    public static IPAddress? ParseAddress(string? address) =>
        address is null ? null : IPAddress.TryParse(address, out var parsed) ? parsed : throw KmsErrors.Validation("'callerAddress' is not an IP address.");

    private async Task<KeyRecord> RequireKeyAsync(string keyId, string action, CancellationToken cancellationToken)
    {
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(action, key.KeyId, null, cancellationToken);
        return key;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";
}
