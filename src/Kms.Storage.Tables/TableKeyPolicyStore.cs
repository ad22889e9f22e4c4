using Azure;
using Azure.Data.Tables;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// Layout: a key's policy is one more row in the key's partition of "{prefix}keys" (see TableKeyStore), so it
// lives and goes with the key:
//   PartitionKey = key id, RowKey = "policy"
//     Document   string   the policy document as given (canonical JSON)
//     UpdatedAt  DateTime (UTC)
//     UpdatedBy  string   principal that stored this document
// The first put is an Add (a 409 means another writer created one first); later puts Replace If-Match the ETag
// the caller read. Either is one transaction with the PolicyChanged outbox row (see TableOutboxStore).

/// <summary><see cref="IKeyPolicyStore"/> on Azure Tables, beside the key rows.</summary>
internal sealed class TableKeyPolicyStore : IKeyPolicyStore
{
    private readonly TableClient _table;
    private readonly OutboxSignal? _signal;
    private readonly ILogger<TableKeyPolicyStore> _logger;

    public TableKeyPolicyStore(KmsTables tables, ILogger<TableKeyPolicyStore> logger, OutboxSignal? signal = null)
    {
        _table = tables.Keys;
        _signal = signal;
        _logger = logger;
    }

    public Task<StoredKeyPolicy?> GetPolicyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!Entities.IsStorableKey(keyId))
        {
            return Task.FromResult<StoredKeyPolicy?>(null);
        }

        return _logger.GuardAsync(nameof(GetPolicyAsync), () =>
            _table.ReadRowAsync(keyId, Entities.PolicyRowKey, Entities.ToPolicy, cancellationToken),
            cancellationToken);
    }

    public Task<StoredKeyPolicy> PutPolicyAsync(StoredKeyPolicy policy, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Entities.RequireStorableKey(policy.KeyId, nameof(policy));

        return _logger.GuardAsync(nameof(PutPolicyAsync), async () =>
        {
            try
            {
                var entity = Entities.ToEntity(policy);
                var write = string.IsNullOrEmpty(policy.ETag)
                    ? new TableTransactionAction(TableTransactionActionType.Add, entity)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(policy.ETag));
                var responses = await _table.SubmitWithEventsAsync(policy.KeyId, [write], events, _signal, cancellationToken).ConfigureAwait(false);
                return policy with { ETag = responses[0].Headers.ETag?.ToString() };
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                throw _logger.LostRace(nameof(PutPolicyAsync), policy.KeyId, e.Status, $"Policy of key '{policy.KeyId}'");
            }
        }, cancellationToken);
    }
}
