using Azure;
using Azure.Data.Tables;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// Table layout of "{prefix}aliases" ({prefix} is Kms:Storage:TablePrefix, default "kms"):
//   PartitionKey = alias name (as given; names are case-sensitive), RowKey = "alias"; one row per alias,
//   so the service itself enforces unique names (an Add of a taken name is a 409).
//     KeyId      string   id of the key the alias points at
//     CreatedAt  DateTime (UTC)
//     UpdatedAt  DateTime (UTC)
// Re-pointing is a Replace If-Match the row's ETag; delete is unconditional. Aliases of one key are found by a
// filter on KeyId, a table scan: acceptable while aliases number in the thousands.

/// <summary><see cref="IAliasStore"/> on Azure Tables.</summary>
internal sealed class TableAliasStore : IAliasStore
{
    private readonly TableClient _table;
    private readonly ILogger<TableAliasStore> _logger;

    public TableAliasStore(KmsTables tables, ILogger<TableAliasStore> logger)
    {
        _table = tables.Aliases;
        _logger = logger;
    }

    public Task<AliasRecord?> GetAliasAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Entities.IsStorableKey(name))
        {
            return Task.FromResult<AliasRecord?>(null);
        }

        return _logger.GuardAsync(nameof(GetAliasAsync), () =>
            _table.ReadRowAsync(name, Entities.AliasRowKey, Entities.ToAlias, cancellationToken),
            cancellationToken);
    }

    public Task<AliasRecord> CreateAliasAsync(AliasRecord alias, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alias);
        Entities.RequireStorableKey(alias.Name, nameof(alias));

        return _logger.GuardAsync(nameof(CreateAliasAsync), async () =>
        {
            try
            {
                var response = await _table.AddEntityAsync(Entities.ToEntity(alias), cancellationToken).ConfigureAwait(false);
                return alias with { ETag = response.Headers.ETag?.ToString() };
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                throw KmsErrors.AliasAlreadyExists(alias.Name);
            }
        }, cancellationToken);
    }

    public Task<AliasRecord> UpdateAliasAsync(AliasRecord alias, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alias);
        Entities.RequireStorableKey(alias.Name, nameof(alias));
        var etag = Entities.RequireETag(alias.ETag, nameof(alias));

        return _logger.GuardAsync(nameof(UpdateAliasAsync), async () => alias with
        {
            ETag = await _table.UpdateIfMatchAsync(Entities.ToEntity(alias), etag, TableUpdateMode.Replace, _logger, nameof(UpdateAliasAsync),
                alias.Name, $"Alias '{alias.Name}'", cancellationToken),
        }, cancellationToken);
    }

    public Task<bool> DeleteAliasAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!Entities.IsStorableKey(name))
        {
            return Task.FromResult(false);
        }

        return _logger.GuardAsync(nameof(DeleteAliasAsync), async () =>
        {
            try
            {
                // The SDK reports a missing entity as a 404 response rather than an exception.
                var response = await _table.DeleteEntityAsync(name, Entities.AliasRowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                return response.Status != 404;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return false;
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<AliasRecord>> ListAliasesForKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {Entities.AliasRowKey} and KeyId eq {keyId}");

        return _logger.GuardAsync<IReadOnlyList<AliasRecord>>(nameof(ListAliasesForKeyAsync), async () =>
        {
            var aliases = new List<AliasRecord>();
            await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                aliases.Add(Entities.ToAlias(entity));
            }

            return aliases;
        }, cancellationToken);
    }
}
