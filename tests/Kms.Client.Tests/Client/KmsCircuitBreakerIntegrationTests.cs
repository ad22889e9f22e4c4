using System.Net;
using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The circuit breaker over a real socket: a KMS that is not there.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsCircuitBreakerIntegrationTests(KmsHostFixture host)
{
    [Fact]
    public async Task Encrypt_KmsPortClosed_OpensAfterThresholdThenFailsFastWithoutConnecting()
    {
        var counter = new AttemptCounter();
        var options = new KmsClientOptions();
        options.Retry.MaxRetries = 1;
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.CircuitBreaker.FailureThreshold = 2;
        options.CircuitBreaker.BreakDuration = TimeSpan.FromMinutes(10);
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        var client = new KmsClient(new Uri($"http://127.0.0.1:{ClosedPort()}"), KmsTestClients.Credential(host, "client-breaker", KmsRoles.Crypto), options);

        // Azure.Core's retry policy reports a call whose every attempt failed in transport as an AggregateException of them.
        var first = await Assert.ThrowsAsync<AggregateException>(() => client.EncryptAsync("any-key", "x"u8.ToArray()));
        var second = await Assert.ThrowsAsync<AggregateException>(() => client.EncryptAsync("any-key", "x"u8.ToArray()));
        var attemptsBeforeOpen = counter.Attempts;
        var open = await Assert.ThrowsAsync<RequestFailedException>(() => client.EncryptAsync("any-key", "x"u8.ToArray()));
        var stillOpen = await Assert.ThrowsAsync<RequestFailedException>(() => client.DecryptAsync("y"u8.ToArray()));

        Assert.All(first.InnerExceptions.Concat(second.InnerExceptions), e => Assert.Equal(0, Assert.IsType<RequestFailedException>(e).Status));
        Assert.Equal(4, attemptsBeforeOpen);
        Assert.Equal((KmsClient.CircuitOpenErrorCode, 0), (open.ErrorCode, open.Status));
        Assert.Equal(KmsClient.CircuitOpenErrorCode, stillOpen.ErrorCode);
        Assert.Equal(4, counter.Attempts);
    }

    /// <summary>A loopback port nothing listens on: bound by the OS, then released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private sealed class AttemptCounter : HttpPipelineSynchronousPolicy
    {
        private int _attempts;

        public int Attempts => Volatile.Read(ref _attempts);

        public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _attempts);
    }
}
