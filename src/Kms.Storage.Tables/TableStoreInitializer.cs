using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Logging;

namespace Kms.Storage.Tables;

/// <summary>
/// Creates the KMS tables when they are missing. Hosts call <see cref="EnsureCreatedAsync"/> once at start-up,
/// before serving requests; the stores themselves never create tables, so a typo in the prefix shows up as a
/// failed health check rather than as a silently empty new table.
/// </summary>
public sealed class TableStoreInitializer
{
    private readonly KmsTables _tables;
    private readonly ILogger<TableStoreInitializer> _logger;
    private volatile bool _created;

    internal TableStoreInitializer(KmsTables tables, ILogger<TableStoreInitializer> logger)
    {
        _tables = tables;
        _logger = logger;
    }

    /// <summary>
    /// Creates every table of the store that does not exist yet. Safe to call concurrently and from several
    /// instances at once (creation of an existing table is a no-op); raises StorageUnavailable when storage
    /// cannot be reached.
    /// </summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        if (_created)
        {
            return Task.CompletedTask;
        }

        return _logger.GuardAsync(nameof(EnsureCreatedAsync), async () =>
        {
            foreach (var table in _tables.All)
            {
                await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
                _logger.TableReady(table.Name);
            }

            _created = true;
            return true;
        }, cancellationToken);
    }
}
