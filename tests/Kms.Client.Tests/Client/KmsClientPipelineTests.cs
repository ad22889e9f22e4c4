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
}
