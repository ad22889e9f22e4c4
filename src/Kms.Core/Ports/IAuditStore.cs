using Kms.Core.Audit;

namespace Kms.Core.Ports;

/// <summary>
/// Durable audit storage. A chain's records and checkpoints live together so a batch of records and its
/// checkpoint are written in one transaction: all or nothing.
/// </summary>
public interface IAuditStore
{
    /// <summary>
    /// Appends records (all of one chain, consecutive) and optionally a checkpoint, atomically. With
    /// <paramref name="publish"/>, the records go out as AuditRecord events: once stored they are pending until the
    /// outbox publishes them (<see cref="IOutboxStore"/>), whatever happens to this process.
    /// </summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, AuditCheckpoint? checkpoint, bool publish, CancellationToken cancellationToken);

    Task AppendAsync(IReadOnlyList<AuditRecord> records, AuditCheckpoint? checkpoint, CancellationToken cancellationToken) =>
        AppendAsync(records, checkpoint, false, cancellationToken);

    /// <summary>
    /// The chain's writer is done with it (its process is stopping). Records of the chain still pending publication,
    /// which the writer's process would have published from memory, are handed to the outbox so that any instance's
    /// next sweep publishes them rather than waiting for them to count as abandoned. Nothing to do for a chain whose
    /// records are not published.
    /// </summary>
    Task ReleaseChainAsync(string chainId, CancellationToken cancellationToken) => Task.CompletedTask;

    Task<IReadOnlyList<string>> ListChainsAsync(CancellationToken cancellationToken);

    /// <summary>Every record of a chain in stored order (by sequence).</summary>
    IAsyncEnumerable<AuditRecord> ReadChainAsync(string chainId, CancellationToken cancellationToken);

    /// <summary>The chain's latest checkpoint, or null.</summary>
    Task<AuditCheckpoint?> GetLatestCheckpointAsync(string chainId, CancellationToken cancellationToken);

    Task<Page<AuditRecord>> QueryAsync(AuditQuery query, int pageSize, string? continuationToken, CancellationToken cancellationToken);

    Task<AuditSigningKey?> GetSigningKeyAsync(CancellationToken cancellationToken);

    /// <summary>Stores the signing key unless one exists; returns the one stored (first writer wins).</summary>
    Task<AuditSigningKey> CreateSigningKeyAsync(AuditSigningKey key, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the signing key's wrapped material and root key label if its ETag still matches (root-key rotation);
    /// a lost race raises ConcurrentModification.
    /// </summary>
    Task<AuditSigningKey> ReplaceSigningKeyMaterialAsync(AuditSigningKey key, CancellationToken cancellationToken);
}
