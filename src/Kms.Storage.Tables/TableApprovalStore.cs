using Azure;
using Azure.Data.Tables;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// Table layout of "{prefix}approvals" ({prefix} is Kms:Storage:TablePrefix, default "kms"):
//   PartitionKey = approval request id, RowKey = "approval"; one row per request.
//     Operation          string   "DestroyKey" or "DestroyKeyVersion"
//     KeyId              string   key the operation applies to
//     Version            Int32    key version; absent when the operation is on the whole key
//     RequestedBy        string   principal that asked for the operation
//     Reason             string   absent when none was given
//     RequiredApprovals  Int32    approvals needed (M of M-of-N)
//     Approvals          string   JSON array of {"principal", "approvedAt" (ISO 8601), "comment" (null when none)},
//                                 in the order they were given
//     Status             string   ApprovalStatus enum name ("Pending", "Approved", "Expired")
//     CreatedAt          DateTime (UTC)
//     ExpiresAt          DateTime (UTC)
// Create is an Add; every later change (an approval, the status) is a Replace If-Match the ETag the caller read,
// so two approvers racing cannot drop each other's approval. Requests of one key are found by a filter on KeyId,
// a table scan: acceptable while requests number in the thousands.

/// <summary><see cref="IApprovalStore"/> on Azure Tables.</summary>
internal sealed class TableApprovalStore : IApprovalStore
{
    private readonly TableClient _table;
    private readonly ILogger<TableApprovalStore> _logger;

    public TableApprovalStore(KmsTables tables, ILogger<TableApprovalStore> logger)
    {
        _table = tables.Approvals;
        _logger = logger;
    }

    public Task<ApprovalRequest> CreateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Approvals, nameof(request));
        Entities.RequireStorableKey(request.Id, nameof(request));

        return _logger.GuardAsync(nameof(CreateAsync), async () =>
        {
            try
            {
                var response = await _table.AddEntityAsync(Entities.ToEntity(request), cancellationToken).ConfigureAwait(false);
                return request with { ETag = response.Headers.ETag?.ToString() };
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw _logger.LostRace(nameof(CreateAsync), request.Id, e.Status, $"Approval request '{request.Id}'");
            }
        }, cancellationToken);
    }

    public Task<ApprovalRequest?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (!Entities.IsStorableKey(id))
        {
            return Task.FromResult<ApprovalRequest?>(null);
        }

        return _logger.GuardAsync(nameof(GetAsync), () =>
            _table.ReadRowAsync(id, Entities.ApprovalRowKey, Entities.ToApprovalRequest, cancellationToken),
            cancellationToken);
    }

    public Task<ApprovalRequest> UpdateAsync(ApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Approvals, nameof(request));
        Entities.RequireStorableKey(request.Id, nameof(request));
        var etag = Entities.RequireETag(request.ETag, nameof(request));

        return _logger.GuardAsync(nameof(UpdateAsync), async () => request with
        {
            ETag = await _table.UpdateIfMatchAsync(Entities.ToEntity(request), etag, TableUpdateMode.Replace, _logger, nameof(UpdateAsync),
                request.Id, $"Approval request '{request.Id}'", cancellationToken),
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ApprovalRequest>> ListForKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {Entities.ApprovalRowKey} and KeyId eq {keyId}");

        return _logger.GuardAsync<IReadOnlyList<ApprovalRequest>>(nameof(ListForKeyAsync), async () =>
        {
            var requests = new List<ApprovalRequest>();
            await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                requests.Add(Entities.ToApprovalRequest(entity));
            }

            // Rows come back in id order; the id breaks ties so equal timestamps still list in a stable order.
            return requests
                .OrderByDescending(r => r.CreatedAt)
                .ThenBy(r => r.Id, StringComparer.Ordinal)
                .ToArray();
        }, cancellationToken);
    }
}
