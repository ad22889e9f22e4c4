using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Kms.Core;
using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

// Layout of "{prefix}audit":
//   PartitionKey = chain id (one chain per host process), so a batch of records and its checkpoint commit in
//   one entity-group transaction.
//     RowKey "r" + sequence (19 digits)  a record: Sequence, Time, Principal, Roles (JSON), Operation, KeyId, KeyVersion,
//                                         Status, Result (success|denied|failure), ErrorCode, Reason, RequestId,
//                                         CallerAddress, ContextKeys (JSON), PreviousHash, Hash
//     RowKey "c" + sequence (19 digits)  a signed checkpoint of the head at that record: Sequence, Hash, Time, Signature
//     RowKey "o" + sequence (19 digits)  outbox row of the batch that starts at that record (when events are on): the
//                                         batch's records are published as AuditRecord events; see TableOutboxStore
//   PartitionKey "~chains", RowKey = chain id: the list of chains (written before a chain's first batch).
//   PartitionKey "~signing-key", RowKey "1": the audit signing key, wrapped (WrappedMaterial, PublicKey, RootKeyLabel).

/// <summary><see cref="IAuditStore"/> on Azure Tables.</summary>
internal sealed class TableAuditStore : IAuditStore
{
    private const string ChainsPartition = "~chains";
    private const string SigningKeyPartition = "~signing-key";
    private readonly TableClient _table;
    private readonly OutboxSignal? _signal;
    private readonly ILogger<TableAuditStore> _logger;
    private readonly HashSet<string> _registeredChains = [];

    public TableAuditStore(KmsTables tables, ILogger<TableAuditStore> logger, OutboxSignal? signal = null)
    {
        _table = tables.Audit;
        _signal = signal;
        _logger = logger;
    }

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, AuditCheckpoint? checkpoint, bool publish, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(AppendAsync), async () =>
        {
            var chain = records.Count > 0 ? records[0].ChainId : checkpoint?.ChainId;
            if (chain is null)
            {
                return true;
            }

            if (!_registeredChains.Contains(chain))
            {
                await _table.UpsertEntityAsync(new TableEntity(ChainsPartition, chain), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                _registeredChains.Add(chain);
            }

            var actions = records.Select(r => new TableTransactionAction(TableTransactionActionType.Add, ToEntity(r))).ToList();
            if (checkpoint is not null)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(chain, "c" + Seq(checkpoint.Sequence))
                {
                    ["Sequence"] = checkpoint.Sequence,
                    ["Hash"] = checkpoint.Hash,
                    ["Time"] = checkpoint.Time.UtcDateTime,
                    ["Signature"] = checkpoint.Signature,
                }));
            }

            var published = publish && records.Count > 0;
            if (published)
            {
                actions.Add(OutboxRows.AuditBatch(chain, records[0].Sequence, records[^1].Sequence, records[^1].Entry.Time));
            }

            try
            {
                try
                {
                    await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException e) when (e.Status == 409)
                {
                    // The SDK retried a transaction whose first attempt had committed (a timeout under load): the rows are
                    // ours, so the batch is stored. Failing here would replay the same numbers forever and stop all audit.
                    if (!await AlreadyStoredAsync(records, cancellationToken).ConfigureAwait(false))
                    {
                        throw;
                    }

                    return true;
                }

                if (published)
                {
                    _signal?.Notify(new OutboxPartition(OutboxPartition.AuditStream, chain));
                }
            }
            catch
            {
                // After a failure (the table may even have been recreated) register the chain again next time.
                _registeredChains.Remove(chain);
                throw;
            }

            return true;
        }, cancellationToken);

    /// <summary>True when the batch's last record is stored with the same hash (transactions are atomic: then all of it is).</summary>
    private async Task<bool> AlreadyStoredAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return false;
        }

        var last = records[^1];
        var stored = await _table.GetEntityIfExistsAsync<TableEntity>(last.ChainId, "r" + Seq(last.Sequence), ["Hash"], cancellationToken)
            .ConfigureAwait(false);
        return stored.HasValue && stored.Value!.GetString("Hash") == last.Hash;
    }

    public Task<IReadOnlyList<string>> ListChainsAsync(CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(ListChainsAsync), async () =>
        {
            var chains = new List<string>();
            await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ChainsPartition}"),
                select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                chains.Add(row.RowKey);
            }

            return (IReadOnlyList<string>)chains;
        }, cancellationToken);

    public async IAsyncEnumerable<AuditRecord> ReadChainAsync(string chainId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {chainId} and RowKey ge {"r"} and RowKey lt {"s"}");
        var pages = _table.QueryAsync<TableEntity>(filter, maxPerPage: 1000, cancellationToken: cancellationToken).AsPages();
        await using var enumerator = pages.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            Azure.Page<TableEntity>? page = null;
            try
            {
                page = await enumerator.MoveNextAsync().ConfigureAwait(false) ? enumerator.Current : null;
            }
            catch (Exception e) when (StorageFailures.IsStorageFailure(e, cancellationToken))
            {
                throw KmsErrors.StorageUnavailable(e);
            }

            if (page is null)
            {
                yield break;
            }

            foreach (var row in page.Values)
            {
                yield return ToRecord(row);
            }
        }
    }

    public Task<AuditCheckpoint?> GetLatestCheckpointAsync(string chainId, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(GetLatestCheckpointAsync), async () =>
        {
            AuditCheckpoint? latest = null;
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {chainId} and RowKey ge {"c"} and RowKey lt {"d"}");
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                latest = new AuditCheckpoint(chainId, row.GetInt64("Sequence") ?? 0, row.GetString("Hash") ?? "",
                    new DateTimeOffset(row.GetDateTime("Time") ?? default, TimeSpan.Zero), row.GetBinary("Signature") ?? []);
            }

            return latest;
        }, cancellationToken);

    public Task<Kms.Core.Page<AuditRecord>> QueryAsync(AuditQuery query, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(QueryAsync), async () =>
        {
            var filter = new StringBuilder(TableClient.CreateQueryFilter($"PartitionKey lt {"~"} and RowKey ge {"r"} and RowKey lt {"s"}"));
            void And(FormattableString clause) => filter.Append(" and ").Append(TableClient.CreateQueryFilter(clause));
            if (query.KeyId is not null)
            {
                And($"KeyId eq {query.KeyId}");
            }

            if (query.Principal is not null)
            {
                And($"Principal eq {query.Principal}");
            }

            if (query.Operation is not null)
            {
                And($"Operation eq {query.Operation}");
            }

            if (query.Result is not null)
            {
                And($"Result eq {query.Result}");
            }

            if (query.From is { } from)
            {
                And($"Time ge {from.UtcDateTime}");
            }

            if (query.To is { } to)
            {
                And($"Time lt {to.UtcDateTime}");
            }

            string? token = null;
            if (continuationToken is not null)
            {
                try
                {
                    token = Encoding.UTF8.GetString(Convert.FromBase64String(continuationToken));
                }
                catch (FormatException)
                {
                    throw KmsErrors.Validation("The continuation token is not valid.");
                }
            }

            await foreach (var page in _table.QueryAsync<TableEntity>(filter.ToString(), maxPerPage: pageSize, cancellationToken: cancellationToken)
                .AsPages(token, pageSize).ConfigureAwait(false))
            {
                var next = page.ContinuationToken is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(page.ContinuationToken));
                return new Kms.Core.Page<AuditRecord>(page.Values.Select(ToRecord).ToArray(), next);
            }

            return new Kms.Core.Page<AuditRecord>([], null);
        }, cancellationToken);

    public Task<AuditSigningKey?> GetSigningKeyAsync(CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(GetSigningKeyAsync), () =>
            _table.ReadRowAsync(SigningKeyPartition, "1", ToSigningKey, cancellationToken),
            cancellationToken);

    public Task<AuditSigningKey> CreateSigningKeyAsync(AuditSigningKey key, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(CreateSigningKeyAsync), async () =>
        {
            try
            {
                var added = await _table.AddEntityAsync(new TableEntity(SigningKeyPartition, "1")
                {
                    ["WrappedMaterial"] = key.WrappedMaterial,
                    ["PublicKey"] = key.PublicKey,
                    ["RootKeyLabel"] = key.RootKeyLabel,
                }, cancellationToken).ConfigureAwait(false);
                return key with { ETag = added.Headers.ETag?.ToString() };
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                var existing = await _table.GetEntityAsync<TableEntity>(SigningKeyPartition, "1", cancellationToken: cancellationToken).ConfigureAwait(false);
                return ToSigningKey(existing.Value);
            }
        }, cancellationToken);

    public Task<AuditSigningKey> ReplaceSigningKeyMaterialAsync(AuditSigningKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var etag = Entities.RequireETag(key.ETag, nameof(key));
        var patch = new TableEntity(SigningKeyPartition, "1") { ["WrappedMaterial"] = key.WrappedMaterial, ["RootKeyLabel"] = key.RootKeyLabel };
        return _logger.GuardAsync(nameof(ReplaceSigningKeyMaterialAsync), async () => key with
        {
            ETag = await _table.UpdateIfMatchAsync(patch, etag, TableUpdateMode.Merge, _logger, nameof(ReplaceSigningKeyMaterialAsync), SigningKeyPartition,
                "The audit signing key", cancellationToken),
        }, cancellationToken);
    }

    private static string Seq(long sequence) => sequence.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>Success, denied (401/403) or failure: the result filter of GET /api/audit.</summary>
    public static string ResultOf(int status) => status switch
    {
        < 400 => "success",
        401 or 403 => "denied",
        _ => "failure",
    };

    private static TableEntity ToEntity(AuditRecord record)
    {
        var e = record.Entry;
        return new TableEntity(record.ChainId, "r" + Seq(record.Sequence))
        {
            ["Sequence"] = record.Sequence,
            ["Time"] = e.Time.UtcDateTime,
            ["TimeTicks"] = e.Time.UtcTicks,
            ["Principal"] = e.Principal,
            ["Roles"] = JsonSerializer.Serialize(e.Roles),
            ["Operation"] = e.Operation,
            ["KeyId"] = e.KeyId,
            ["KeyVersion"] = e.KeyVersion,
            ["Status"] = e.Status,
            ["Result"] = ResultOf(e.Status),
            ["ErrorCode"] = e.ErrorCode,
            ["Reason"] = e.Reason,
            ["RequestId"] = e.RequestId,
            ["CallerAddress"] = e.CallerAddress,
            ["ContextKeys"] = JsonSerializer.Serialize(e.ContextKeys),
            ["PreviousHash"] = record.PreviousHash,
            ["Hash"] = record.Hash,
        };
    }

    internal static AuditRecord ToRecord(TableEntity row)
    {
        // Ticks, not the DateTime column, feed the hash: the service keeps DateTime to microsecond-ish precision only.
        var ticks = row.GetInt64("TimeTicks") ?? 0;
        var entry = new AuditEntry(new DateTimeOffset(ticks, TimeSpan.Zero), row.GetString("Principal"),
            JsonSerializer.Deserialize<string[]>(row.GetString("Roles") ?? "[]") ?? [], row.GetString("Operation") ?? "", row.GetString("KeyId"),
            row.GetInt32("KeyVersion"), row.GetInt32("Status") ?? 0, row.GetString("ErrorCode"), row.GetString("Reason"), row.GetString("RequestId") ?? "",
            row.GetString("CallerAddress"), JsonSerializer.Deserialize<string[]>(row.GetString("ContextKeys") ?? "[]") ?? []);
        return new AuditRecord(row.PartitionKey, row.GetInt64("Sequence") ?? 0, entry, row.GetString("PreviousHash") ?? "", row.GetString("Hash") ?? "");
    }

    private static AuditSigningKey ToSigningKey(TableEntity row) =>
        new(row.GetBinary("WrappedMaterial") ?? [], row.GetBinary("PublicKey") ?? [], row.GetString("RootKeyLabel") ?? "", row.ETag.ToString());
}
