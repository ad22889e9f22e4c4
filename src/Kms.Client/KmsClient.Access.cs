using Azure;
using Azure.Core;
using Kms.Client.Models;
using Kms.Client.Serialization;

namespace Kms.Client;

// Key policies, policy simulation and role assignments (docs/authorization.md).
public partial class KmsClient
{
    /// <summary><c>GET /api/keys/{keyId}/policy</c>; <c>PolicyNotFound</c> (404) when the key has none.</summary>
    public virtual async Task<Response<KeyPolicy>> GetKeyPolicyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, $"keys/{Segment(keyId, nameof(keyId))}/policy");
        return await SendAsync(message, Json.KeyPolicy, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>PUT /api/keys/{keyId}/policy</c>: replaces the key's policy; <c>InvalidPolicy</c> names the faulty JSON path.</summary>
    public virtual async Task<Response<KeyPolicy>> SetKeyPolicyAsync(string keyId, KeyPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var message = CreateMessage(RequestMethod.Put, $"keys/{Segment(keyId, nameof(keyId))}/policy", policy, Json.KeyPolicy);
        return await SendAsync(message, Json.KeyPolicy, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/policy/simulate</c>: whether a principal may do an action, and which rule decides.</summary>
    public virtual async Task<Response<PolicyDecision>> SimulatePolicyAsync(PolicySimulation simulation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(simulation);
        var body = new SimulateBody(simulation.Principal, simulation.Action, simulation.Roles, simulation.KeyId, simulation.Context,
            simulation.CallerAddress);
        using var message = CreateMessage(RequestMethod.Post, "policy/simulate", body, Json.SimulateBody);
        return await SendAsync(message, Json.PolicyDecision, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/role-assignments</c>, all or one principal's (not paged).</summary>
    public virtual async Task<Response<IReadOnlyList<RoleAssignment>>> GetRoleAssignmentsAsync(string? principal = null,
        CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, "role-assignments", ("principal", principal));
        var answer = await SendAsync(message, Json.RoleAssignmentList, async: true, cancellationToken).ConfigureAwait(false);
        return Response.FromValue(answer.Value.Assignments, answer.GetRawResponse());
    }

    /// <summary><c>POST /api/role-assignments</c>: <paramref name="role"/> for all keys (<paramref name="scope"/> null or
    /// <c>*</c>) or one key id.</summary>
    public virtual async Task<Response<RoleAssignment>> CreateRoleAssignmentAsync(string principal, string role, string? scope = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(principal);
        ArgumentException.ThrowIfNullOrWhiteSpace(role);
        using var message = CreateMessage(RequestMethod.Post, "role-assignments", new RoleAssignmentBody(principal, role, scope), Json.RoleAssignmentBody);
        return await SendAsync(message, Json.RoleAssignment, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response> DeleteRoleAssignmentAsync(string assignmentId, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"role-assignments/{Segment(assignmentId, nameof(assignmentId))}");
        return await SendAsync(message, async: true, cancellationToken).ConfigureAwait(false);
    }
}
