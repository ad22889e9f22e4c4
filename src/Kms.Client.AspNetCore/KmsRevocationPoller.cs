using Kms.Client.AspNetCore.Internal;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Client.AspNetCore;

/// <summary>
/// The fallback for services that cannot receive webhooks: asks the KMS for the state of the watched keys every
/// <see cref="KmsRevocationPollingOptions.Interval"/> and evicts a key or version from every <see cref="IKmsKeyCacheInvalidator"/>
/// when it is newly not usable. A failed poll is logged and tried again at the next interval; it never stops the host.
/// </summary>
public sealed class KmsRevocationPoller : BackgroundService
{
    private readonly IKmsKeyStateSource _source;
    private readonly IKmsKeyCacheInvalidator[] _invalidators;
    private readonly KmsRevocationPollingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string[] _keyIds;
    // Created with the service, not in ExecuteAsync: a tick that comes before the loop first waits is kept, not lost.
    private readonly PeriodicTimer _timer;

    // What the last successful poll of each key saw. Touched only by the polling loop.
    private readonly Dictionary<string, Observation> _observed = new(StringComparer.Ordinal);

    public KmsRevocationPoller(IKmsKeyStateSource source, IEnumerable<IKmsKeyCacheInvalidator> invalidators,
        IOptions<KmsRevocationPollingOptions> options, TimeProvider time, ILogger<KmsRevocationPoller> logger)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(invalidators);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _source = source;
        _invalidators = [.. invalidators];
        _options = options.Value;
        _time = time;
        _logger = logger;
        _keyIds = [.. _options.KeyIds.Distinct(StringComparer.Ordinal)];
        _timer = new PeriodicTimer(_options.Interval, time);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.PollingStarted(_keyIds.Length, _options.Interval);
        try
        {
            // Poll at once: the caches may hold keys disabled while this process was down.
            do
            {
                await PollOnceAsync(stoppingToken);
            }
            while (await _timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host shutting down.
        }
    }

    /// <summary>One pass over every watched key.</summary>
    internal async Task PollOnceAsync(CancellationToken stoppingToken)
    {
        foreach (var keyId in _keyIds)
        {
            stoppingToken.ThrowIfCancellationRequested();
            try
            {
                await PollKeyAsync(keyId, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                throw;
            }
#pragma warning disable CA1031 // Whatever the source or a cache throws, the next interval tries again; the host stays up.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.PollFailed(e, keyId);
            }
        }
    }

    private async Task PollKeyAsync(string keyId, CancellationToken stoppingToken)
    {
        KmsKeyStatus? status;
        using (var timeout = new CancellationTokenSource(_options.RequestTimeout, _time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token))
        {
            status = await _source.GetKeyStatusAsync(keyId, linked.Token);
        }

        var previous = _observed.GetValueOrDefault(keyId) ?? Observation.AllUsable;
        // An unknown key (deleted and gone) is as unusable as a disabled one; its versions are then unknown, so keep what we knew.
        var keyUnusable = status is null || !KmsStates.IsUsable(status.State);
        var unusableVersions = status is null
            ? previous.UnusableVersions
            : status.Versions.Where(v => !KmsStates.IsUsable(v.State)).ToDictionary(v => v.Version, v => v.State);

        // First sight counts as a change from "usable": a cache may hold material from before this process started polling,
        // and evicting an entry that is not there costs nothing.
        if (keyUnusable && !previous.KeyUnusable)
        {
            CacheInvalidation.EvictKey(_invalidators, keyId);
            _logger.PolledKeyUnusable(keyId, status?.State ?? "NOT_FOUND", _invalidators.Length);
        }

        foreach (var (version, state) in unusableVersions)
        {
            if (!previous.UnusableVersions.ContainsKey(version))
            {
                CacheInvalidation.EvictKeyVersion(_invalidators, keyId, version);
                _logger.PolledVersionUnusable(keyId, version, state, _invalidators.Length);
            }
        }

        // Recorded only after every eviction succeeded, so a failed one is retried at the next poll.
        _observed[keyId] = new Observation(keyUnusable, unusableVersions);
    }

    public override void Dispose()
    {
        _timer.Dispose();
        base.Dispose();
    }

    private sealed record Observation(bool KeyUnusable, IReadOnlyDictionary<int, string> UnusableVersions)
    {
        public static Observation AllUsable { get; } = new(false, new Dictionary<int, string>());
    }
}
