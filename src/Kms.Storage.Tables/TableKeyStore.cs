using Azure;
using Azure.Data.Tables;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;
// Azure.Page<T> is in scope too; the store returns the domain page.
using KeyPage = Kms.Core.Page<Kms.Core.KeyRecord>;
using VersionPage = Kms.Core.Page<Kms.Core.KeyVersionRecord>;

namespace Kms.Storage.Tables;

// Table layout (Azure Tables; {prefix} is Kms:Storage:TablePrefix, default "kms").
//
// Table "{prefix}keys": one partition per key, so a key and all its versions change together in one
// entity-group transaction.
//   PartitionKey = key id (lowercase UUID, "D" form)
//   RowKey "key"          the KeyRecord:
//     Spec            string  KeySpec enum name (e.g. "Aes256", "Rsa2048", "EcP256", "HmacSha256")
//     Usage           string  KeyUsage enum name ("EncryptDecrypt", "SignVerify", "GenerateVerifyMac")
//     State           string  KeyState enum name ("Enabled", "Disabled", "PendingDeletion", "Destroyed")
//     PrimaryVersion  Int32   version used for new encryptions and signatures
//     LatestVersion   Int32   highest version number that exists
//     Description     string  absent when the key has none
//     Tags            string  JSON object of string to string ("{}" when there are no tags)
//     CreatedAt       DateTime (UTC)
//     UpdatedAt       DateTime (UTC)
//     DeletionProtection Boolean  true while deletion cannot be scheduled
//     DeletionDate    DateTime (UTC) when the key is to be destroyed; absent unless State is "PendingDeletion"
//                     Rows written before these two existed lack both and read as false and null.
//     RotationPeriodDays Int32  automatic rotation period; absent when the key rotates only on request
//     NextRotationAt  DateTime (UTC) when the scheduler starts the next staged rotation; present with the period
//     DeletionRequestedBy string  principal that scheduled the deletion (may not approve it); only while a deletion stands
//   RowKey "policy"       the key's policy (StoredKeyPolicy), absent when it has none; see TableKeyPolicyStore.
//   RowKey "v" + version zero-padded to 10 digits ("v0000000001"), one row per KeyVersionRecord; the padding
//   makes a partition query return versions oldest first. Version queries select RowKey ge "v" and lt "w", and
//   key listing RowKey eq "key", so neither ever sees the "policy" row:
//     Version         Int32   the version number (same as in the RowKey)
//     State           string  KeyVersionState enum name ("Enabled", "Disabled", "Revoked", "Destroyed")
//     WrappedMaterial Binary  secret or private key wrapped under the HSM root key (CKM_AES_KEY_WRAP_PAD);
//                             written when the row is added; rewritten (with RootKeyLabel) only by root-key
//                             rotation, which wraps the same key under the new root; emptied when the version is destroyed
//     PublicKey       Binary  SubjectPublicKeyInfo DER; absent for symmetric keys
//     RootKeyLabel    string  label of the HSM root key that wrapped the material
//     CreatedAt       DateTime (UTC)
//     StateChangedAt  DateTime (UTC)
//     Operation       string  id of the operation (orchestration) that created the version; absent otherwise
//     RevokedBy       string  id of the revocation operation that revoked the version; absent unless revoked
//
// Table "{prefix}aliases": see TableAliasStore.
// Table "{prefix}roleassignments": see TableRoleAssignmentStore.
//
// Writes:
//   create key   one transaction: Add "key" row + Add "v0000000001" row.
//   rotate       one transaction: Replace "key" row If-Match its ETag + Add the new version row; a 412 (key row
//                changed) or 409 (version row exists) means another writer won: nothing is written and
//                ConcurrentModification is raised. So two racing rotations yield exactly one new primary.
//   update key   Replace "key" row If-Match its ETag.
//   update version  Merge of State, StateChangedAt and RevokedBy only, If-Match its ETag: the material is never
//                rewritten, except that destroying a version empties it.
//   rewrap version  (root-key rotation) Merge of WrappedMaterial and RootKeyLabel only, If-Match its ETag.
// Every entity's ETag is returned in the record and required for its next update.

/// <summary>
/// <see cref="IKeyStore"/> on Azure Tables. Every write is conditional on the row's ETag; failures of the
/// service surface as StorageUnavailable and lost races as ConcurrentModification.
/// </summary>
internal sealed class TableKeyStore : IKeyStore
{
    /// <summary>Azure Tables returns at most 1000 entities per page.</summary>
    public const int MaxPageSize = 1000;

    private static readonly string ListKeysFilter = TableClient.CreateQueryFilter($"RowKey eq {Entities.KeyRowKey}");
    private static readonly string[] HealthSelect = ["PartitionKey"];
    private static readonly string AllVersionsFilter =
        TableClient.CreateQueryFilter($"RowKey ge {Entities.VersionRowKeyPrefix} and RowKey lt {Entities.VersionRowKeyEnd}");

    private readonly TableClient _table;
    private readonly OutboxSignal? _signal;
    private readonly ILogger<TableKeyStore> _logger;

    public TableKeyStore(KmsTables tables, ILogger<TableKeyStore> logger, OutboxSignal? signal = null)
    {
        _table = tables.Keys;
        _signal = signal;
        _logger = logger;
    }

    public Task<KeyRecord> CreateKeyAsync(KeyRecord key, KeyVersionRecord firstVersion, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(firstVersion);
        RequireSamePartition(key, firstVersion, nameof(firstVersion));

        return _logger.GuardAsync(nameof(CreateKeyAsync), async () =>
        {
            TableTransactionAction[] actions =
            [
                new(TableTransactionActionType.Add, Entities.ToEntity(key)),
                new(TableTransactionActionType.Add, Entities.ToEntity(firstVersion)),
            ];
            try
            {
                var responses = await _table.SubmitWithEventsAsync(key.KeyId, actions, events, _signal, cancellationToken).ConfigureAwait(false);
                return key with { ETag = ETagOf(responses[0]) };
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Key ids are random UUIDs: a clash means the same create was submitted twice.
                throw Conflict(nameof(CreateKeyAsync), key.KeyId, e.Status);
            }
        }, cancellationToken);
    }

    public Task<KeyRecord?> GetKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!Entities.IsStorableKey(keyId))
        {
            return Task.FromResult<KeyRecord?>(null);
        }

        return _logger.GuardAsync(nameof(GetKeyAsync), () =>
            _table.ReadRowAsync(keyId, Entities.KeyRowKey, Entities.ToKey, cancellationToken),
            cancellationToken);
    }

    public Task<KeyPage> ListKeysAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        QueryPageAsync(ListKeysFilter, Entities.ToKey, pageSize, continuationToken, nameof(ListKeysAsync), cancellationToken);

    public Task<KeyRecord> UpdateKeyAsync(KeyRecord key, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        Entities.RequireStorableKey(key.KeyId, nameof(key));
        var etag = Entities.RequireETag(key.ETag, nameof(key));

        return _logger.GuardAsync(nameof(UpdateKeyAsync), async () => key with
        {
            ETag = await UpdateWithEventsAsync(Entities.ToEntity(key), etag, TableUpdateMode.Replace, events, nameof(UpdateKeyAsync),
                key.KeyId, $"Key '{key.KeyId}'", cancellationToken),
        }, cancellationToken);
    }


    public Task<(KeyRecord Key, KeyVersionRecord Version)> AddVersionAsync(KeyRecord updatedKey, KeyVersionRecord newVersion, IReadOnlyList<KmsEvent> events,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(updatedKey);
        ArgumentNullException.ThrowIfNull(newVersion);
        RequireSamePartition(updatedKey, newVersion, nameof(newVersion));
        var etag = Entities.RequireETag(updatedKey.ETag, nameof(updatedKey));

        return _logger.GuardAsync(nameof(AddVersionAsync), async () =>
        {
            TableTransactionAction[] actions =
            [
                new(TableTransactionActionType.UpdateReplace, Entities.ToEntity(updatedKey), etag),
                new(TableTransactionActionType.Add, Entities.ToEntity(newVersion)),
            ];
            try
            {
                var responses = await _table.SubmitWithEventsAsync(updatedKey.KeyId, actions, events, _signal, cancellationToken).ConfigureAwait(false);
                return (updatedKey with { ETag = ETagOf(responses[0]) }, newVersion with { ETag = ETagOf(responses[1]) });
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                // The transaction is all or nothing: the loser of a race wrote neither row.
                throw Conflict(nameof(AddVersionAsync), updatedKey.KeyId, e.Status);
            }
        }, cancellationToken);
    }

    public Task<KeyVersionRecord?> GetVersionAsync(string keyId, int version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!Entities.IsStorableKey(keyId) || version < 1)
        {
            return Task.FromResult<KeyVersionRecord?>(null);
        }

        return _logger.GuardAsync(nameof(GetVersionAsync), () =>
            _table.ReadRowAsync(keyId, Entities.VersionRowKey(version), Entities.ToVersion, cancellationToken),
            cancellationToken);
    }

    public Task<IReadOnlyList<KeyVersionRecord>> ListVersionsAsync(string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!Entities.IsStorableKey(keyId))
        {
            return Task.FromResult<IReadOnlyList<KeyVersionRecord>>([]);
        }

        var filter = TableClient.CreateQueryFilter(
            $"PartitionKey eq {keyId} and RowKey ge {Entities.VersionRowKeyPrefix} and RowKey lt {Entities.VersionRowKeyEnd}");
        return _logger.GuardAsync<IReadOnlyList<KeyVersionRecord>>(nameof(ListVersionsAsync), async () =>
        {
            var versions = new List<KeyVersionRecord>();
            // Rows of one partition come back in RowKey order, which the padding makes version order.
            await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                versions.Add(Entities.ToVersion(entity));
            }

            return versions;
        }, cancellationToken);
    }

    public Task<KeyVersionRecord> UpdateVersionAsync(KeyVersionRecord version, IReadOnlyList<KmsEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        Entities.RequireStorableKey(version.KeyId, nameof(version));
        var etag = Entities.RequireETag(version.ETag, nameof(version));

        // Merge of the state columns only: whatever the record holds, the stored material stays as written.
        return _logger.GuardAsync(nameof(UpdateVersionAsync), async () => version with
        {
            ETag = await UpdateWithEventsAsync(Entities.ToStatePatch(version), etag, TableUpdateMode.Merge, events, nameof(UpdateVersionAsync),
                $"{version.KeyId}/{version.Version}", $"Version {version.Version} of key '{version.KeyId}'", cancellationToken),
        }, cancellationToken);
    }

    public Task<VersionPage> ListAllVersionsAsync(int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
        QueryPageAsync(AllVersionsFilter, Entities.ToVersion, pageSize, continuationToken, nameof(ListAllVersionsAsync), cancellationToken);

    public Task<KeyVersionRecord> ReplaceWrappedMaterialAsync(KeyVersionRecord version, byte[] wrappedMaterial, string rootKeyLabel,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(wrappedMaterial);
        ArgumentException.ThrowIfNullOrEmpty(rootKeyLabel);
        Entities.RequireStorableKey(version.KeyId, nameof(version));
        var etag = Entities.RequireETag(version.ETag, nameof(version));

        // Merge of the material columns only: a state change made meanwhile fails the ETag check instead of being undone.
        var patch = new TableEntity(version.KeyId, Entities.VersionRowKey(version.Version))
        {
            [Entities.WrappedMaterial] = wrappedMaterial,
            [Entities.RootKeyLabel] = rootKeyLabel,
        };
        return _logger.GuardAsync(nameof(ReplaceWrappedMaterialAsync), async () => version with
        {
            WrappedMaterial = wrappedMaterial,
            RootKeyLabel = rootKeyLabel,
            ETag = await _table.UpdateIfMatchAsync(patch, etag, TableUpdateMode.Merge, _logger, nameof(ReplaceWrappedMaterialAsync),
                $"{version.KeyId}/{version.Version}", $"Version {version.Version} of key '{version.KeyId}'", cancellationToken),
        }, cancellationToken);
    }

    public async Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken)
    {
        try
        {
            // One page of at most one row, key column only: proves the account answers and the table exists.
            var pages = _table.QueryAsync<TableEntity>(maxPerPage: 1, select: HealthSelect, cancellationToken: cancellationToken).AsPages(null, 1);
            await foreach (var _ in pages.ConfigureAwait(false))
            {
                break;
            }

            return new ComponentHealth(true, "ok");
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            var reason = StorageFailures.Describe(e, cancellationToken);
            _logger.HealthCheckFailed(reason, e);
            return new ComponentHealth(false, "unavailable", reason);
        }
    }

    /// <summary>One service page of the rows matching <paramref name="filter"/>; the SDK's continuation travels as an opaque, tagged token.</summary>
    private Task<Kms.Core.Page<T>> QueryPageAsync<T>(string filter, Func<TableEntity, T> map, int pageSize, string? continuationToken, string operation,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);

        string? sdkToken = null;
        if (!string.IsNullOrEmpty(continuationToken) && !ContinuationTokens.TryUnwrap(continuationToken, out sdkToken))
        {
            _logger.InvalidContinuationToken();
            throw InvalidToken();
        }

        return _logger.GuardAsync(operation, async () =>
        {
            try
            {
                var pages = _table.QueryAsync<TableEntity>(filter, maxPerPage: pageSize, cancellationToken: cancellationToken)
                    .AsPages(sdkToken, pageSize);
                await foreach (var page in pages.ConfigureAwait(false))
                {
                    // One service page per call; the service may return fewer rows than asked (even none) with a
                    // continuation token, which callers simply follow.
                    return new Kms.Core.Page<T>(page.Values.Select(map).ToArray(), ContinuationTokens.Wrap(page.ContinuationToken));
                }

                return new Kms.Core.Page<T>([], null);
            }
            catch (RequestFailedException e) when (sdkToken is not null && e.Status == 400)
            {
                // Well-formed wrapper, but the keys inside were not issued by the service.
                _logger.InvalidContinuationToken();
                throw InvalidToken();
            }
        }, cancellationToken);
    }

    private static void RequireSamePartition(KeyRecord key, KeyVersionRecord version, string paramName)
    {
        Entities.RequireStorableKey(key.KeyId, paramName);
        if (!string.Equals(key.KeyId, version.KeyId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The version must belong to the key.", paramName);
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(version.Version, 1, paramName);
    }

    private static string? ETagOf(Response response) => response.Headers.ETag?.ToString();

    /// <summary>An ETag-conditional update; with events, one transaction that also adds their outbox rows.</summary>
    private async Task<string?> UpdateWithEventsAsync(TableEntity entity, ETag etag, TableUpdateMode mode, IReadOnlyList<KmsEvent> events,
        string operation, string target, string what, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return await _table.UpdateIfMatchAsync(entity, etag, mode, _logger, operation, target, what, cancellationToken).ConfigureAwait(false);
        }

        var update = mode == TableUpdateMode.Replace ? TableTransactionActionType.UpdateReplace : TableTransactionActionType.UpdateMerge;
        try
        {
            var responses = await _table.SubmitWithEventsAsync(entity.PartitionKey, [new TableTransactionAction(update, entity, etag)], events, _signal,
                cancellationToken).ConfigureAwait(false);
            return ETagOf(responses[0]);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw _logger.LostRace(operation, target, e.Status, what);
        }
    }

    private static KmsException InvalidToken() => KmsErrors.Validation("The continuation token is not valid.");

    /// <summary>
    /// A lost race. A 404 on a conditional update (the row vanished since it was read) is one too: the caller
    /// re-reads and then sees the row is gone.
    /// </summary>
    private KmsException Conflict(string operation, string keyId, int status, string? what = null) =>
        _logger.LostRace(operation, keyId, status, what ?? $"Key '{keyId}'");
}
