using System.Net;
using Azure;

namespace Kms.Client.Tests.Client;

/// <summary>Request and error shapes of KmsClient against a fake transport: what goes on the wire and how refusals surface.</summary>
public sealed class KmsClientPipelineTests
{
    private static KmsClient Client(ScriptedTransport transport, string endpoint = "https://kms.example.test/base/")
    {
        var options = new KmsClientOptions { Transport = transport.Transport };
        options.Retry.MaxRetries = 0;
        return new KmsClient(new Uri(endpoint), new FixedTokenCredential(), options);
    }

    [Fact]
    public async Task GetKey_ProblemDocument_ThrowsWithCodeStatusTitleAndDetail()
    {
        var transport = new ScriptedTransport().Then(() => ScriptedTransport.Problem(HttpStatusCode.NotFound, "KeyNotFound", "Key 'x' was not found."));
        var client = Client(transport);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => client.GetKeyAsync("x"));

        Assert.Equal(404, failure.Status);
        Assert.Equal("KeyNotFound", failure.ErrorCode);
        Assert.Contains("Key 'x' was not found.", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Encrypt_Request_IsBase64JsonUnderTheEndpointPathWithBearerToken()
    {
        var transport = new ScriptedTransport().Then(() => ScriptedTransport.Json(HttpStatusCode.OK, """{"ciphertext":"AQID","keyId":"k","version":2}"""));
        var client = Client(transport);

        var result = await client.EncryptAsync("my alias", new byte[] { 104, 105 }, new Dictionary<string, string> { ["Tenant"] = "a" });

        var request = transport.Requests.Single();
        Assert.Equal("https://kms.example.test/base/api/keys/my%20alias/encrypt", request.RequestUri!.AbsoluteUri);
        Assert.Equal("Bearer fake-token", request.Headers.Authorization!.ToString());
        Assert.Equal(request.Headers.GetValues("x-ms-client-request-id").Single(), request.Headers.GetValues("x-request-id").Single());
        Assert.Equal(result.GetRawResponse().ClientRequestId, request.Headers.GetValues("x-request-id").Single());
        Assert.Equal("""{"plaintext":"aGk=","context":{"Tenant":"a"}}""", transport.Bodies.Single());
        Assert.Equal(new byte[] { 1, 2, 3 }, result.Value.Ciphertext);
        Assert.Equal(2, result.Value.Version);
    }

    [Fact]
    public void Constructor_PlainHttpToARemoteHost_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new KmsClient(new Uri("http://kms.example.test"), new FixedTokenCredential()));
    }

    [Fact]
    public async Task GenerateRandom_PlainHttpToLoopback_IsSentAsHttpWithTheToken()
    {
        var transport = new ScriptedTransport();
        var client = Client(transport, "http://127.0.0.1:7071");

        await client.GenerateRandomAsync(3);

        var request = transport.Requests.Single();
        Assert.Equal("http://127.0.0.1:7071/api/random", request.RequestUri!.AbsoluteUri);
        Assert.Equal("Bearer fake-token", request.Headers.Authorization!.ToString());
    }

    [Fact]
    public async Task DecryptAsync_MockedThroughTheProtectedConstructor_ReturnsTheModelFactoryResult()
    {
        KmsClient client = new MockClient();

        var result = await client.DecryptAsync(new byte[] { 1 });

        Assert.Equal(("key-1", 3), (result.Value.KeyId, result.Value.Version));
        Assert.Equal("hi"u8.ToArray(), result.Value.Plaintext);
    }

    /// <summary>What a mocking library generates: a subclass using the protected constructor and overriding a virtual method.</summary>
    private sealed class MockClient : KmsClient
    {
        public override Task<Response<Models.DecryptResult>> DecryptAsync(ReadOnlyMemory<byte> ciphertext,
            IReadOnlyDictionary<string, string>? context = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(Response.FromValue(Models.KmsModelFactory.DecryptResult("hi"u8.ToArray(), "key-1", 3), new FakeResponse()));
    }

    private sealed class FakeResponse : Response
    {
        public override int Status => 200;

        public override string ReasonPhrase => "OK";

        public override Stream? ContentStream { get; set; }

        public override string ClientRequestId { get; set; } = "fake";

        public override void Dispose()
        {
        }

        protected override bool ContainsHeader(string name) => false;

        protected override IEnumerable<Azure.Core.HttpHeader> EnumerateHeaders() => [];

        protected override bool TryGetHeader(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            return false;
        }

        protected override bool TryGetHeaderValues(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IEnumerable<string>? values)
        {
            values = null;
            return false;
        }
    }
}
