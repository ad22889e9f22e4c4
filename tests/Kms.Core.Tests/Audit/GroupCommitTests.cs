using Kms.Core.Audit;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Core.Tests.Audit;

/// <summary>
/// The audit writer's group commit with announced records (<see cref="AuditLog.Expect"/>): when it waits for them,
/// when it does not, and that the delay bounds the wait. The store records each transaction; time is a fake clock, so
/// the delay passes only when the test advances it.
/// </summary>
public sealed class GroupCommitTests : IAsyncDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingAuditStore _store = new();
    private readonly AuditLog _log;

    public GroupCommitTests() => _log = New(Delay);

    [Fact]
    public async Task Append_NothingAnnounced_CommitsAtOnce()
    {
        await _log.AppendAsync(Entry("alone")).WaitAsync(Hang);

        Assert.Equal([1], _store.TransactionSizes);
    }

    [Fact]
    public async Task Append_AnotherRecordAnnounced_WaitsForItAndBothShareOneTransaction()
    {
        _log.Expect();
        _log.Expect();

        var first = _log.AppendAsync(Entry("first"), announced: true);
        await Task.Delay(200);
        Assert.False(first.IsCompleted, "The writer committed while another announced record was on its way.");
        var second = _log.AppendAsync(Entry("second"), announced: true);
        await Task.WhenAll(first, second).WaitAsync(Hang);

        Assert.Equal([2], _store.TransactionSizes);
        Assert.Equal(0, _log.Announced);
    }

    [Fact]
    public async Task Append_AnnouncedRecordLate_CommitsWhatIsThereWhenTheDelayEnds()
    {
        _log.Expect();
        _log.Expect();

        var first = _log.AppendAsync(Entry("first"), announced: true);
        // The writer arms its timer on its own thread: advance until it has fired (or give up after the hang bound).
        for (var i = 0; i < 3000 && !first.IsCompleted; i++)
        {
            _time.Advance(Delay);
            await Task.Delay(10);
        }

        await first.WaitAsync(Hang);
        Assert.Equal([1], _store.TransactionSizes);
        Assert.Equal(1, _log.Announced);
        await _log.AppendAsync(Entry("late"), announced: true).WaitAsync(Hang);
        Assert.Equal([1, 1], _store.TransactionSizes);
    }

    [Fact]
    public async Task Append_DelayZero_CommitsWithoutWaitingForAnnouncedRecords()
    {
        await using var log = New(TimeSpan.Zero);
        log.Expect();
        log.Expect();

        await log.AppendAsync(Entry("first"), announced: true).WaitAsync(Hang);

        Assert.Equal([1], _store.TransactionSizes);
    }

    public async ValueTask DisposeAsync() => await _log.DisposeAsync();

    private AuditLog New(TimeSpan delay) =>
        new(_store, new AuditSigner(_store, new SoftwareHsm(), _time), _time,
            Options.Create(new AuditOptions { GroupCommitDelay = delay, CheckpointInterval = TimeSpan.FromDays(1) }), NullLogger<AuditLog>.Instance);

    private static AuditEntry Entry(string requestId) =>
        new(DateTimeOffset.UnixEpoch, "alice", [], "Encrypt", null, null, 200, null, null, requestId, "127.0.0.1", []);

    /// <summary>Stores nothing; remembers how many records each transaction held. No signing key: checkpoints are skipped.</summary>
    private sealed class RecordingAuditStore : IAuditStore
    {
        private readonly List<int> _sizes = [];

        public IReadOnlyList<int> TransactionSizes
        {
            get
            {
                lock (_sizes)
                {
                    return [.. _sizes];
                }
            }
        }

        public Task AppendAsync(IReadOnlyList<AuditRecord> records, AuditCheckpoint? checkpoint, bool publish, CancellationToken cancellationToken)
        {
            lock (_sizes)
            {
                _sizes.Add(records.Count);
            }

            return Task.CompletedTask;
        }

        public Task<AuditSigningKey?> GetSigningKeyAsync(CancellationToken cancellationToken) => throw KmsErrors.StorageUnavailable();

        public Task<AuditSigningKey> CreateSigningKeyAsync(AuditSigningKey key, CancellationToken cancellationToken) => throw KmsErrors.StorageUnavailable();

        public Task<AuditSigningKey> ReplaceSigningKeyMaterialAsync(AuditSigningKey key, CancellationToken cancellationToken) =>
            throw KmsErrors.StorageUnavailable();

        public Task<IReadOnlyList<string>> ListChainsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<AuditRecord> ReadChainAsync(string chainId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<AuditCheckpoint?> GetLatestCheckpointAsync(string chainId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<Page<AuditRecord>> QueryAsync(AuditQuery query, int pageSize, string? continuationToken, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
