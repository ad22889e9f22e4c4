using Azure;
using Azure.Data.Tables;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// Table layout of "{prefix}roleassignments" ({prefix} is Kms:Storage:TablePrefix, default "kms"): one partition
// per principal, so the hot read (every assignment of the caller) is a single-partition query.
//   PartitionKey = "p-" + base64url(SHA-256(UTF-8 of the principal)), 45 characters. Principals are free text
//                  and may hold '/', '\', '#', '?' or control characters, which table keys refuse; the hash
//                  also keeps long principals within the key size limit.
//   RowKey       = assignment id (a GUID chosen by the caller)
//     Principal  string   the principal as given; list queries also match on it, so a hash collision could
//                         never mix two principals' assignments
//     Role       string   role name
//     Scope      string   "*" (all keys) or a key id
//     CreatedBy  string   principal of the admin who created the assignment
//     CreatedAt  DateTime (UTC)
// Assignments are never updated: create is an Add, delete finds the row by RowKey (a table scan; assignments
// number in the hundreds) and deletes it unconditionally.

/// <summary><see cref="IRoleAssignmentStore"/> on Azure Tables.</summary>
internal sealed class TableRoleAssignmentStore : IRoleAssignmentStore
{
    private static readonly string[] KeySelect = ["PartitionKey", "RowKey"];

    private readonly TableClient _table;
    private readonly ILogger<TableRoleAssignmentStore> _logger;

    public TableRoleAssignmentStore(KmsTables tables, ILogger<TableRoleAssignmentStore> logger)
    {
        _table = tables.RoleAssignments;
        _logger = logger;
    }

    public Task<RoleAssignment> CreateAsync(RoleAssignment assignment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(assignment.Principal, nameof(assignment));
        Entities.RequireStorableKey(assignment.Id, nameof(assignment));

        return _logger.GuardAsync(nameof(CreateAsync), async () =>
        {
            try
            {
                await _table.AddEntityAsync(Entities.ToEntity(assignment), cancellationToken).ConfigureAwait(false);
                return assignment;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw _logger.LostRace(nameof(CreateAsync), assignment.Id, e.Status, $"Role assignment '{assignment.Id}'");
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<RoleAssignment>> ListForPrincipalAsync(string principal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return ListAsync(principal, nameof(ListForPrincipalAsync), cancellationToken);
    }

    public Task<IReadOnlyList<RoleAssignment>> ListAsync(string? principal, CancellationToken cancellationToken) =>
        ListAsync(principal, nameof(ListAsync), cancellationToken);

    public Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!Entities.IsStorableKey(id))
        {
            return Task.FromResult(false);
        }

        var filter = TableClient.CreateQueryFilter($"RowKey eq {id}");
        return _logger.GuardAsync(nameof(DeleteAsync), async () =>
        {
            var rows = new List<TableEntity>();
            await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: KeySelect, cancellationToken: cancellationToken)
                .ConfigureAwait(false))
            {
                rows.Add(entity);
            }

            if (rows.Count > 1)
            {
                _logger.DuplicateRoleAssignmentId(id, rows.Count);
            }

            var deleted = false;
            foreach (var row in rows)
            {
                try
                {
                    // The SDK reports a row deleted meanwhile as a 404 response rather than an exception.
                    var response = await _table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                    deleted |= response.Status != 404;
                }
                catch (RequestFailedException e) when (e.Status == 404)
                {
                    // Another admin deleted it first: the outcome the caller asked for, but not this call's doing.
                }
            }

            return deleted;
        }, cancellationToken);
    }

    private Task<IReadOnlyList<RoleAssignment>> ListAsync(string? principal, string operation, CancellationToken cancellationToken)
    {
        string? filter = principal is null
            ? null
            : TableClient.CreateQueryFilter($"PartitionKey eq {Entities.PrincipalPartitionKey(principal)} and Principal eq {principal}");

        return _logger.GuardAsync<IReadOnlyList<RoleAssignment>>(operation, async () =>
        {
            var assignments = new List<RoleAssignment>();
            await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                assignments.Add(Entities.ToRoleAssignment(entity));
            }

            // Partitions come back in hash order: sort into the documented principal-then-id order.
            return assignments
                .OrderBy(a => a.Principal, StringComparer.Ordinal)
                .ThenBy(a => a.Id, StringComparer.Ordinal)
                .ToArray();
        }, cancellationToken);
    }
}
