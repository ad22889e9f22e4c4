using System.Net;
using Azure;
using Azure.Core;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The circuit breaker's state machine, through a real KmsClient pipeline over a fake transport and a fake clock.</summary>
public sealed class KmsCircuitBreakerTests
{
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));

    private KmsClient Client(ScriptedTransport transport, int threshold = 3, int maxRetries = 0, bool enabled = true)
    {
        var options = new KmsClientOptions { Transport = transport.Transport };
        options.Retry.MaxRetries = maxRetries;
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(1);
        options.CircuitBreaker.Enabled = enabled;
        options.CircuitBreaker.FailureThreshold = threshold;
        options.CircuitBreaker.BreakDuration = BreakDuration;
        options.CircuitBreaker.TimeProvider = _time;
        return new KmsClient(new Uri("https://kms.example.test"), new FixedTokenCredential(), options);
    }

    private static Func<HttpResponseMessage> Unavailable => () => ScriptedTransport.Problem(HttpStatusCode.ServiceUnavailable, "HsmUnavailable", "down");

    [Fact]
    public async Task GenerateRandom_ThresholdConsecutiveFailures_OpensCircuitAndFailsFastWithoutSending()
    {
        var transport = new ScriptedTransport(Unavailable);
        var client = Client(transport, threshold: 3);

        for (var i = 0; i < 3; i++)
        {
            var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(8));
            Assert.Equal(503, failure.Status);
            Assert.Equal("HsmUnavailable", failure.ErrorCode);
        }

        var open = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(8));

        Assert.Equal(KmsClient.CircuitOpenErrorCode, open.ErrorCode);
        Assert.Equal(0, open.Status);
        Assert.Equal(3, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_TransportFailures_CountAsFailures()
    {
        var transport = new ScriptedTransport(ScriptedTransport.Unreachable);
        var client = Client(transport, threshold: 2);

        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(8));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(8));
        var open = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(8));

        Assert.Equal(KmsClient.CircuitOpenErrorCode, open.ErrorCode);
        Assert.Equal(2, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_SuccessBetweenFailures_ResetsTheCountAndKeepsTheCircuitClosed()
    {
        var transport = new ScriptedTransport()
            .Then(Unavailable, times: 2)
            .Then(() => ScriptedTransport.Json(HttpStatusCode.OK, """{"random":"AAEC"}"""))
            .Then(Unavailable, times: 2);
        var client = Client(transport, threshold: 3);

        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        await client.GenerateRandomAsync(3);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        var sixth = await client.GenerateRandomAsync(3);

        Assert.Equal([0, 1, 2], sixth.Value);
        Assert.Equal(6, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_ClientErrors_DoNotOpenTheCircuit()
    {
        var transport = new ScriptedTransport(() => ScriptedTransport.Problem(HttpStatusCode.BadRequest, "ValidationFailed", "bytes"));
        var client = Client(transport, threshold: 2);

        for (var i = 0; i < 4; i++)
        {
            var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(5000));
            Assert.Equal("ValidationFailed", failure.ErrorCode);
        }

        Assert.Equal(4, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_AfterBreakDuration_LetsOneProbeThroughAndItsSuccessClosesTheCircuit()
    {
        var transport = new ScriptedTransport().Then(Unavailable, times: 2);
        var client = Client(transport, threshold: 2);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        _time.Advance(BreakDuration - TimeSpan.FromSeconds(1));
        var stillOpen = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        Assert.Equal(KmsClient.CircuitOpenErrorCode, stillOpen.ErrorCode);

        _time.Advance(TimeSpan.FromSeconds(1));
        await client.GenerateRandomAsync(3);
        await client.GenerateRandomAsync(3);

        Assert.Equal(4, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_ProbeFails_ReopensTheCircuitForAnotherBreak()
    {
        var transport = new ScriptedTransport().Then(Unavailable, times: 3);
        var client = Client(transport, threshold: 2);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        _time.Advance(BreakDuration);

        var probe = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        var afterProbe = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));

        Assert.Equal("HsmUnavailable", probe.ErrorCode);
        Assert.Equal(KmsClient.CircuitOpenErrorCode, afterProbe.ErrorCode);
        Assert.Equal(3, transport.Attempts);
        _time.Advance(BreakDuration);
        await client.GenerateRandomAsync(3);
        Assert.Equal(4, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_RetriesOfOneCall_CountAsOneFailure()
    {
        var transport = new ScriptedTransport(Unavailable);
        var client = Client(transport, threshold: 2, maxRetries: 2);

        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        Assert.Equal(3, transport.Attempts);
        await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
        Assert.Equal(6, transport.Attempts);
        var open = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));

        Assert.Equal(KmsClient.CircuitOpenErrorCode, open.ErrorCode);
        Assert.Equal(6, transport.Attempts);
    }

    [Fact]
    public async Task GenerateRandom_BreakerDisabled_EveryCallReachesTheNetwork()
    {
        var transport = new ScriptedTransport(Unavailable);
        var client = Client(transport, threshold: 1, enabled: false);

        for (var i = 0; i < 4; i++)
        {
            var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GenerateRandomAsync(3));
            Assert.Equal(503, failure.Status);
        }

        Assert.Equal(4, transport.Attempts);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, "Throttled")]
    [InlineData(HttpStatusCode.ServiceUnavailable, "StorageUnavailable")]
    public async Task GenerateRandom_ThrottledOrUnavailableWithRetryAfter_IsRetriedAndSucceeds(HttpStatusCode status, string code)
    {
        var transport = new ScriptedTransport().Then(() => ScriptedTransport.Problem(status, code, "later", retryAfterSeconds: 0));
        var client = Client(transport, maxRetries: 3);

        var random = await client.GenerateRandomAsync(3);

        Assert.Equal(3, random.Value.Length);
        Assert.Equal(2, transport.Attempts);
    }

    [Fact]
    public void Constructor_InvalidBreakerSettings_Throws()
    {
        var options = new KmsClientOptions();
        options.CircuitBreaker.FailureThreshold = 0;

        Assert.Throws<ArgumentOutOfRangeException>(() => new KmsClient(new Uri("https://kms.example.test"), new FixedTokenCredential(), options));
    }
}
