using Kms.Core.Events;

namespace Kms.Core.Ports;

/// <summary>A role held by a principal, for all keys ("*") or one key. Created and deleted by admins.</summary>
public sealed record RoleAssignment(string Id, string Principal, string Role, string Scope, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A key's policy document as stored (canonical JSON) with its concurrency token.</summary>
public sealed record StoredKeyPolicy(string KeyId, string Document, DateTimeOffset UpdatedAt, string UpdatedBy, string? ETag = null);

/// <summary>Role assignments. Reads are by principal (the hot path) and by id.</summary>
public interface IRoleAssignmentStore
{
    Task<RoleAssignment> CreateAsync(RoleAssignment assignment, CancellationToken cancellationToken);

    Task<IReadOnlyList<RoleAssignment>> ListForPrincipalAsync(string principal, CancellationToken cancellationToken);

    /// <summary>Every assignment, optionally only those of one principal, ordered by principal then id.</summary>
    Task<IReadOnlyList<RoleAssignment>> ListAsync(string? principal, CancellationToken cancellationToken);

    /// <summary>Deletes by id; returns false when there was none.</summary>
    Task<bool> DeleteAsync(string id, CancellationToken cancellationToken);
}

/// <summary>Key policies, one per key, stored beside the key.</summary>
public interface IKeyPolicyStore
{
    Task<StoredKeyPolicy?> GetPolicyAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the policy when <see cref="StoredKeyPolicy.ETag"/> is null (ConcurrentModification if one exists),
    /// else replaces it if the ETag still matches. Returns the stored record with its new ETag. The events go to the
    /// outbox in the same transaction.
    /// </summary>
    Task<StoredKeyPolicy> PutPolicyAsync(StoredKeyPolicy policy, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken);

    Task<StoredKeyPolicy> PutPolicyAsync(StoredKeyPolicy policy, CancellationToken cancellationToken) => PutPolicyAsync(policy, [], cancellationToken);
}
