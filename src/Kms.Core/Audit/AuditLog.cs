using System.Threading.Channels;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Core.Audit;

/// <summary>Audit settings (configuration section <c>Kms:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>
    /// Chains written in parallel by one process: more chains, more commits in flight. On Azurite (one
    /// Node.js thread) one chain with bigger batches is faster (bench/run.sh: 3,541 vs 2,128 encrypts/s at
    /// concurrency 16), so the default is 1; raise it on Azure Storage after measuring.
    /// </summary>
    public int Chains { get; set; } = 1;

    /// <summary>
    /// Records per group commit (1 to <see cref="MaxBatchLimit"/>): one Table transaction holds 100 operations, and
    /// two are kept for the checkpoint and the outbox row of the batch's AuditRecord events.
    /// </summary>
    public int MaxBatch { get; set; } = MaxBatchLimit;

    public const int MaxBatchLimit = 98;

    /// <summary>How often the chain head is signed by the HSM-held audit key and stored with the records.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The audit log of this host process: <see cref="AuditOptions.Chains"/> hash chains written side by side,
/// each by group commit. A chain's batches are sequential (each links to the last), so more chains mean
/// more transactions in flight at once; a request's record goes to the next chain in turn. Callers await
/// <see cref="AppendAsync"/>, which completes only when their record is durable.
/// </summary>
public sealed class AuditLog : IAsyncDisposable
{
    private readonly AuditChainWriter[] _chains;
    private readonly KmsMetrics? _metrics;
    private int _next = -1;

    public AuditLog(IAuditStore store, AuditSigner signer, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditLog> logger,
        IOptions<KmsEventOptions>? events = null, KmsMetrics? metrics = null)
    {
        var count = Math.Clamp(options.Value.Chains, 1, 64);
        var publish = events?.Value is { Enabled: true, PublishAuditRecords: true };
        _metrics = metrics;
        _chains = Enumerable.Range(0, count).Select(_ => new AuditChainWriter(store, signer, time, options.Value, publish, logger, metrics)).ToArray();
    }

    /// <summary>This process's chains; a restart starts new ones, and verification walks them all.</summary>
    public IReadOnlyList<string> ChainIds => _chains.Select(c => c.ChainId).ToArray();

    /// <summary>Completes when the record is stored; fails with AuditUnavailable when it could not be.</summary>
    public Task AppendAsync(AuditEntry entry)
    {
        _metrics?.AuditRecordsProduced();
        return _chains[(int)((uint)Interlocked.Increment(ref _next) % (uint)_chains.Length)].AppendAsync(entry);
    }

    /// <summary>Writes what is queued and a final signed checkpoint of every chain.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var chain in _chains)
        {
            await chain.DisposeAsync();
        }
    }
}

/// <summary>
/// One hash chain written by group commit: concurrent records share one Table transaction. When a batch
/// cannot be stored, every caller in it fails with AuditUnavailable and the chain head does not move, so the
/// chain stays gap-free.
/// </summary>
internal sealed partial class AuditChainWriter : IAsyncDisposable
{
    private readonly IAuditStore _store;
    private readonly AuditSigner _signer;
    private readonly TimeProvider _time;
    private readonly AuditOptions _options;
    private readonly int _maxBatch;
    private readonly bool _publish;
    private readonly ILogger _logger;
    private readonly KmsMetrics? _metrics;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> _writer;
    private long _sequence;
    private string _head = AuditHashing.Genesis;
    private long _lastCheckpointTimestamp;
    private long _checkpointedSequence;
    private int _disposed;

    public AuditChainWriter(IAuditStore store, AuditSigner signer, TimeProvider time, AuditOptions options, bool publish, ILogger logger,
        KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _store = store;
        _signer = signer;
        _time = time;
        _options = options;
        _maxBatch = Math.Clamp(options.MaxBatch, 1, AuditOptions.MaxBatchLimit);
        _publish = publish;
        _logger = logger;
        ChainId = $"{time.GetUtcNow():yyyyMMddTHHmmss}-{Guid.NewGuid():N}";
        _lastCheckpointTimestamp = time.GetTimestamp();
        _writer = new Lazy<Task>(() =>
        {
            // The writer outlives the request that happens to start it: do not let it capture that request's context.
            using (ExecutionContext.SuppressFlow())
            {
                return Task.Run(WriteLoopAsync);
            }
        });
    }

    public string ChainId { get; }

    /// <summary>Completes when the record is stored; fails with AuditUnavailable when it could not be.</summary>
    public Task AppendAsync(AuditEntry entry)
    {
        _ = _writer.Value;
        var pending = new Pending(entry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : Task.FromException(KmsErrors.AuditUnavailable());
    }

    /// <summary>Writes what is queued and a final signed checkpoint.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _queue.Writer.TryComplete();
        if (_writer.IsValueCreated)
        {
            await _writer.Value;
            await CommitAsync([], forceCheckpoint: true);
            if (_publish)
            {
                await ReleaseAsync();
            }
        }
    }

    /// <summary>
    /// Hands the records this process stored but did not publish yet (at most about AuditLinger's worth) to the outbox,
    /// so they go out at the next sweep of any instance instead of after the takeover delay.
    /// </summary>
    private async Task ReleaseAsync()
    {
        try
        {
            await _store.ReleaseChainAsync(ChainId, CancellationToken.None);
        }
#pragma warning disable CA1031 // Stopping goes on: the records are stored, and another instance takes them over later.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogReleaseFailed(e, ChainId);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }

            try
            {
                await CommitAsync(batch, forceCheckpoint: false);
                batch.ForEach(p => p.Done.TrySetResult());
            }
#pragma warning disable CA1031 // Any failure to store fails the waiting requests closed (503); the loop must live on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogBatchFailed(e, batch.Count);
                var failure = KmsErrors.AuditUnavailable();
                batch.ForEach(p => p.Done.TrySetException(failure));
            }

            batch.Clear();
        }
    }

    private async Task CommitAsync(List<Pending> batch, bool forceCheckpoint)
    {
        var records = new List<AuditRecord>(batch.Count);
        var sequence = _sequence;
        var head = _head;
        foreach (var pending in batch)
        {
            sequence++;
            var hash = AuditHashing.Hash(ChainId, sequence, pending.Entry, head);
            records.Add(new AuditRecord(ChainId, sequence, pending.Entry, head, hash));
            head = hash;
        }

        AuditCheckpoint? checkpoint = null;
        var due = _time.GetElapsedTime(_lastCheckpointTimestamp) >= _options.CheckpointInterval;
        if ((due || forceCheckpoint) && sequence > _checkpointedSequence)
        {
            checkpoint = await TrySignAsync(sequence, head);
        }

        if (records.Count == 0 && checkpoint is null)
        {
            return;
        }

        var started = _time.GetTimestamp();
        var stored = false;
        try
        {
            await _store.AppendAsync(records, checkpoint, _publish, CancellationToken.None);
            stored = true;
        }
        finally
        {
            _metrics?.AuditCommitCompleted(stored, _time.GetElapsedTime(started));
        }

        _metrics?.AuditRecordsStored(records.Count);
        // Only a stored batch moves the head: a failed one is retried with the same numbers by the next batch.
        _sequence = sequence;
        _head = head;
        if (checkpoint is not null)
        {
            _lastCheckpointTimestamp = _time.GetTimestamp();
            _checkpointedSequence = checkpoint.Sequence;
        }
    }

    private async Task<AuditCheckpoint?> TrySignAsync(long sequence, string head)
    {
        try
        {
            return await _signer.SignAsync(ChainId, sequence, head, CancellationToken.None);
        }
        catch (KmsException e)
        {
            // Records matter more than the checkpoint: store them now and sign the head on a later batch.
            LogCheckpointFailed(e, ChainId);
            return null;
        }
    }

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource Done);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Could not store a batch of {Count} audit records; the requests fail closed")]
    private partial void LogBatchFailed(Exception exception, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Could not sign a checkpoint of audit chain {ChainId}; will retry")]
    private partial void LogCheckpointFailed(Exception exception, string chainId);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning,
        Message = "Could not hand the unpublished audit records of chain {ChainId} to the outbox at stop; another instance publishes them after its takeover delay")]
    private partial void LogReleaseFailed(Exception exception, string chainId);
}
