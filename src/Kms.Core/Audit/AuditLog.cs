using System.Threading.Channels;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Core.Audit;

/// <summary>Audit settings (configuration section <c>Kms:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>Records per group commit; one Table transaction holds 100 operations, one is kept for the checkpoint.</summary>
    public int MaxBatch { get; set; } = 99;

    /// <summary>How often the chain head is signed by the HSM-held audit key and stored with the records.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The audit log of this host process: one hash chain, written by group commit. Callers await
/// <see cref="AppendAsync"/>, which completes only when their record is durable; concurrent records share one
/// Table transaction. When a batch cannot be stored, every caller in it fails with AuditUnavailable and the
/// chain head does not move, so the chain stays gap-free.
/// </summary>
public sealed partial class AuditLog : IAsyncDisposable
{
    private readonly IAuditStore _store;
    private readonly AuditSigner _signer;
    private readonly TimeProvider _time;
    private readonly AuditOptions _options;
    private readonly ILogger<AuditLog> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> _writer;
    private long _sequence;
    private string _head = AuditHashing.Genesis;
    private long _lastCheckpointTimestamp;
    private long _checkpointedSequence;
    private int _disposed;

    public AuditLog(IAuditStore store, AuditSigner signer, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditLog> logger)
    {
        _store = store;
        _signer = signer;
        _time = time;
        _options = options.Value;
        _logger = logger;
        ChainId = $"{time.GetUtcNow():yyyyMMddTHHmmss}-{Guid.NewGuid():N}";
        _lastCheckpointTimestamp = time.GetTimestamp();
        _writer = new Lazy<Task>(() => Task.Run(WriteLoopAsync));
    }

    /// <summary>This process's chain; a restart starts a new chain, and verification walks them all.</summary>
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
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_options.MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out var pending))
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

        await _store.AppendAsync(records, checkpoint, CancellationToken.None);
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
}
