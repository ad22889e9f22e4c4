using System.Collections.Concurrent;
using System.Diagnostics;
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
//     RowKey "b" + sequence (19 digits)  a block: the records of one group commit, from that sequence on, as JSON (see
//                                         AuditBlocks: why blocks, and the layout)
//     RowKey "r" + sequence (19 digits)  a record of a chain written before blocks (read, never written): Sequence, Time,
//                                         Principal, Roles (JSON), Operation, KeyId, KeyVersion, Status, Result, ErrorCode,
//                                         Reason, RequestId, CallerAddress, ContextKeys (JSON), PreviousHash, Hash
//     RowKey "c" + sequence (19 digits)  a signed checkpoint of the head at that record: Sequence, Hash, Time, Signature
//     RowKey "o" + sequence (19 digits)  outbox row of a block whose records are to be published as AuditRecord events:
//                                         written by AuditChains.MaterializeAsync for blocks after the chain's published
//                                         cursor that their writer did not publish (or, before the cursor, by the commit
//                                         itself); see TableOutboxStore
//   PartitionKey "~chains", RowKey = chain id: the list of chains (written before a chain's first batch), with the
//     published cursor of a chain whose records are published (AuditChains).
//   PartitionKey "~signing-key", RowKey "1": the audit signing key, wrapped (WrappedMaterial, PublicKey, RootKeyLabel).

/// <summary><see cref="IAuditStore"/> on Azure Tables.</summary>
internal sealed class TableAuditStore : IAuditStore
{
    private const string SigningKeyPartition = "~signing-key";
    private readonly TableClient _table;
    private readonly AuditChains _chains;
    private readonly OutboxSignal? _signal;
    private readonly UnpublishedAuditBatches? _unpublished;
    private readonly ILogger<TableAuditStore> _logger;
    // Chains whose row is known to exist, with when this process last appended to each (Stopwatch ticks). Several
    // chain writers of one process append at once (Kms:Audit:Chains).
    private readonly ConcurrentDictionary<string, long> _registeredChains = new(StringComparer.Ordinal);

    public TableAuditStore(KmsTables tables, AuditChains chains, ILogger<TableAuditStore> logger, OutboxSignal? signal = null,
        UnpublishedAuditBatches? unpublished = null)
    {
        _table = tables.Audit;
        _chains = chains;
        _signal = signal;
        _unpublished = unpublished;
        _logger = logger;
    }

    /// <summary>
    /// Hands the chain over as a failed publish does (<see cref="AuditChains.HandOverAsync"/>): this process will not
    /// publish its held batches any more, and another instance's sweep would otherwise leave them for
    /// <c>AuditTakeoverDelay</c>, as a live writer's records. Rows are what every instance's sweep publishes at once, the
    /// next process's first one included. Only for a chain this process stored published records of: another
    /// process's chain is its writer's to release.
    /// </summary>
    public Task ReleaseChainAsync(string chainId, CancellationToken cancellationToken) =>
        _unpublished?.IsOwn(chainId) != true
            ? Task.CompletedTask
            : _logger.GuardAsync(nameof(ReleaseChainAsync), async () =>
            {
                await _chains.HandOverAsync(chainId, _unpublished, cancellationToken).ConfigureAwait(false);
                return true;
            }, cancellationToken);

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, AuditCheckpoint? checkpoint, bool publish, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(AppendAsync), async () =>
        {
            var chain = records.Count > 0 ? records[0].ChainId : checkpoint?.ChainId;
            if (chain is null)
            {
                return true;
            }

            var published = publish && records.Count > 0;
            if (!_registeredChains.TryGetValue(chain, out var lastAppend))
            {
                // A published chain's cursor starts just before its first record: nothing of it is published yet.
                var cursor = publish ? (records.Count > 0 ? records[0].Sequence - 1 : checkpoint!.Sequence) : (long?)null;
                await _chains.RegisterAsync(chain, cursor, cancellationToken).ConfigureAwait(false);
            }
            else if (published && Stopwatch.GetElapsedTime(lastAppend) >= _chains.CloseIdleAfter / 2)
            {
                // Idle long enough that another process's sweep may close the chain soon: reopen it before storing more.
                await _chains.ReopenAsync(chain, cancellationToken).ConfigureAwait(false);
            }

            _registeredChains[chain] = Stopwatch.GetTimestamp();

            var blocks = AuditBlocks.ToEntities(records).ToList();
            var actions = blocks.Select(b => new TableTransactionAction(TableTransactionActionType.Add, b)).ToList();
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

            try
            {
                try
                {
                    // The usual batch is one block: a plain insert, which costs the store and the SDK less than a
                    // transaction of one (no multipart body). Records are published from the chain's cursor, so no
                    // outbox row has to commit with them (AuditChains).
                    if (actions.Count == 1)
                    {
                        await _table.AddEntityAsync(actions[0].Entity, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (RequestFailedException e) when (e.Status == 409)
                {
                    // The SDK retried a request whose first attempt had committed (a timeout under load): the rows are
                    // ours, so the batch is stored. Failing here would replay the same numbers forever and stop all audit.
                    if (!await AlreadyStoredAsync(blocks, cancellationToken).ConfigureAwait(false))
                    {
                        throw;
                    }
                }

                if (published)
                {
                    _unpublished?.Stored(chain, new UnpublishedAuditBatches.Batch(OutboxRows.AuditBatchKey(records[0].Sequence), records,
                        records[^1].Entry.Time));
                    _signal?.Notify(new OutboxPartition(OutboxPartition.AuditStream, chain));
                }
            }
            catch
            {
                // After a failure (the table may even have been recreated) register the chain again next time.
                _registeredChains.TryRemove(chain, out _);
                // The insert may have stored the block all the same (a timeout): only the table knows the chain's blocks now.
                _unpublished?.Distrust(chain);
                throw;
            }

            return true;
        }, cancellationToken);

    /// <summary>True when the batch's first block is stored with the same last hash (transactions are atomic: then all of it is).</summary>
    private async Task<bool> AlreadyStoredAsync(List<TableEntity> blocks, CancellationToken cancellationToken)
    {
        if (blocks.Count == 0)
        {
            return false;
        }

        var first = blocks[0];
        var stored = await _table.GetEntityIfExistsAsync<TableEntity>(first.PartitionKey, first.RowKey, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return stored.HasValue && AuditBlocks.LastHashOf(stored.Value!) == AuditBlocks.LastHashOf(first);
    }

    public Task<IReadOnlyList<string>> ListChainsAsync(CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(ListChainsAsync), async () =>
            (IReadOnlyList<string>)(await _chains.ListAsync(cancellationToken).ConfigureAwait(false)).Select(c => c.Id).ToList(), cancellationToken);

    public async IAsyncEnumerable<AuditRecord> ReadChainAsync(string chainId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {chainId}") + " and " + AuditBlocks.RecordRowsFilter;
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
                foreach (var record in AuditBlocks.ToRecords(row))
                {
                    yield return record;
                }
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

    /// <summary>
    /// Records in chain and sequence order that match every filter. Blocks are filtered record by record here, so a page
    /// reads at most <see cref="MaxRowsPerPage"/> stored rows: it can hold fewer than <paramref name="pageSize"/> records
    /// (even none) and still carry a continuation token. The token is the position of the last record looked at.
    /// </summary>
    public Task<Kms.Core.Page<AuditRecord>> QueryAsync(AuditQuery query, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        _logger.GuardAsync(nameof(QueryAsync), async () =>
        {
            var after = continuationToken is null ? null : AuditPosition.Parse(continuationToken);
            var filter = new StringBuilder(after is null
                ? TableClient.CreateQueryFilter($"PartitionKey lt {"~"}")
                : TableClient.CreateQueryFilter($"((PartitionKey eq {after.ChainId} and RowKey ge {after.RowKey}) or (PartitionKey gt {after.ChainId} and PartitionKey lt {"~"}))"));
            filter.Append(" and ").Append(AuditBlocks.RecordRowsFilter);
            if (AuditBlocks.TimeFilter(query.From, query.To) is { } time)
            {
                filter.Append(" and ").Append(time);
            }

            if (AuditBlocks.FieldsFilter(query) is { } fields)
            {
                filter.Append(" and ").Append(fields);
            }

            var found = new List<AuditRecord>(pageSize);
            var rowsRead = 0;
            AuditPosition? last = null;
            await foreach (var row in _table.QueryAsync<TableEntity>(filter.ToString(), maxPerPage: 100, cancellationToken: cancellationToken)
                .ConfigureAwait(false))
            {
                foreach (var record in AuditBlocks.ToRecords(row))
                {
                    if (after is not null && record.ChainId == after.ChainId && record.Sequence <= after.Sequence)
                    {
                        continue;
                    }

                    last = new AuditPosition(record.ChainId, row.RowKey, record.Sequence);
                    if (Matches(query, record.Entry))
                    {
                        found.Add(record);
                        if (found.Count == pageSize)
                        {
                            return new Kms.Core.Page<AuditRecord>(found, last.ToToken());
                        }
                    }
                }

                if (++rowsRead >= MaxRowsPerPage)
                {
                    return new Kms.Core.Page<AuditRecord>(found, last?.ToToken());
                }
            }

            return new Kms.Core.Page<AuditRecord>(found, null);
        }, cancellationToken);

    /// <summary>
    /// Stored rows (blocks of up to 98 records) one query page reads before it answers with what it found: the Table
    /// service's own page size, whose filtered queries can answer short or empty pages with a token as well.
    /// </summary>
    public const int MaxRowsPerPage = 1000;

    private static bool Matches(AuditQuery query, AuditEntry entry) =>
        (query.KeyId is null || entry.KeyId == query.KeyId) &&
        (query.Principal is null || entry.Principal == query.Principal) &&
        (query.Operation is null || entry.Operation == query.Operation) &&
        (query.Result is null || AuditBlocks.ResultOf(entry.Status) == query.Result) &&
        (query.From is not { } from || entry.Time >= from) &&
        (query.To is not { } to || entry.Time < to);

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

    private static AuditSigningKey ToSigningKey(TableEntity row) =>
        new(row.GetBinary("WrappedMaterial") ?? [], row.GetBinary("PublicKey") ?? [], row.GetString("RootKeyLabel") ?? "", row.ETag.ToString());
}
