using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Kms.Client.Pipeline;

/// <summary>
/// A circuit breaker placed per call, before the retry policy: it sees each call's final outcome (after its retries).
/// A call fails when the transport fails or the KMS answers 5xx; <see cref="KmsCircuitBreakerOptions.FailureThreshold"/>
/// consecutive failures open the circuit, and while it is open every call throws at once, without a token request or a
/// network round trip. After <see cref="KmsCircuitBreakerOptions.BreakDuration"/> one probe call goes through
/// (half-open); its success closes the circuit, its failure opens it again. Any other answer (2xx, 4xx) counts as
/// success: the service is up and answering, even if it refuses this request.
/// </summary>
internal sealed class KmsCircuitBreakerPolicy : HttpPipelinePolicy
{
    private readonly int _threshold;
    private readonly TimeSpan _breakDuration;
    private readonly TimeProvider _time;
    private readonly object _lock = new();

    private CircuitState _state = CircuitState.Closed;
    private int _consecutiveFailures;
    private DateTimeOffset _openedAt;
    private bool _probeInFlight;

    public KmsCircuitBreakerPolicy(KmsCircuitBreakerOptions options)
    {
        options.Validate();
        _threshold = options.FailureThreshold;
        _breakDuration = options.BreakDuration;
        _time = options.TimeProvider;
    }

    public CircuitState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline, async: true);

    private async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline, bool async)
    {
        var isProbe = Admit();
        bool failed;
        try
        {
            if (async)
            {
                await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
            }
            else
            {
                ProcessNext(message, pipeline);
            }

            failed = message.Response.Status >= 500;
        }
        catch (OperationCanceledException) when (message.CancellationToken.IsCancellationRequested)
        {
            // The caller gave up: that says nothing about the KMS. A probe that was canceled frees its slot.
            Release(isProbe);
            throw;
        }
        catch (Exception)
        {
            Record(failed: true, isProbe);
            throw;
        }

        Record(failed, isProbe);
    }

    /// <summary>Lets the call through, or throws when the circuit is open; returns whether the call is the half-open probe.</summary>
    private bool Admit()
    {
        lock (_lock)
        {
            switch (_state)
            {
                case CircuitState.Closed:
                    return false;
                case CircuitState.Open when _time.GetUtcNow() - _openedAt >= _breakDuration:
                    _state = CircuitState.HalfOpen;
                    _probeInFlight = true;
                    return true;
                case CircuitState.HalfOpen when !_probeInFlight:
                    _probeInFlight = true;
                    return true;
                default:
                    throw new RequestFailedException(0,
                        "The KMS circuit breaker is open after repeated failures to reach the KMS; the call was not sent.",
                        KmsClient.CircuitOpenErrorCode, null);
            }
        }
    }

    private void Record(bool failed, bool isProbe)
    {
        lock (_lock)
        {
            if (isProbe)
            {
                _probeInFlight = false;
            }

            if (!failed)
            {
                _consecutiveFailures = 0;
                _state = CircuitState.Closed;
                return;
            }

            _consecutiveFailures++;
            if (isProbe || _state == CircuitState.HalfOpen || _consecutiveFailures >= _threshold)
            {
                _state = CircuitState.Open;
                _openedAt = _time.GetUtcNow();
            }
        }
    }

    private void Release(bool isProbe)
    {
        if (!isProbe)
        {
            return;
        }

        lock (_lock)
        {
            _probeInFlight = false;
        }
    }
}

internal enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}
