using Azure;
using Kms.Client.AspNetCore;
using Kms.Client.Envelope;
using Kms.Client.Models;
using Kms.Client.Tests.Client;
using Kms.Client.Tests.Listener;
using Kms.Client.Tests.Shared;
using Kms.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Client.Tests.EndToEnd;

/// <summary>
/// Revocation end to end: an app caches a data key unwrapped by the real KMS; an emergency revocation's
/// <c>Kms.KeyVersionRevoked</c> travels through the KMS's local Event Grid stand-in to MapKmsEvents in the app (Kestrel),
/// which evicts the app's CachingCryptoMaterialsManager, so the next decrypt asks the KMS again and is refused.
/// </summary>
public sealed class RevocationWebhookEndToEndTests : IAsyncLifetime
{
    private const string Secret = "envelope-e2e-shared-secret-0123";
    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme" };

    private readonly RequestCounter _requests = new();
    private KmsHostFixture _host = null!;
    private ListenerApp _app = null!;
    private CachingCryptoMaterialsManager _materials = null!;
    private string _keyId = null!;

    public async Task InitializeAsync()
    {
        // Both ports are fixed first: the KMS publishes to its own topic, and its subscription names the app's URL. The app
        // starts after the KMS (its client needs the KMS's dev issuer key); the topic retries the handshake until it is up.
        var appPort = EventGridKmsHost.FreePort();
        _host = EventGridKmsHost.Create(new Uri($"http://127.0.0.1:{appPort}/kms/events?secret={Secret}"), EventGridKmsHost.FreePort());
        await _host.InitializeAsync();

        _keyId = (await KmsTestClients.Admin(_host).CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var client = _requests.CreateClient(_host.BaseAddress, KmsTestClients.Credential(_host, "e2e-webhook-app", KmsRoles.Crypto));
        _materials = new CachingCryptoMaterialsManager(new KmsKeyring(client, _keyId), new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1) });
        _app = await ListenerApp.StartAsync(o => o.SharedSecrets.Add(Secret), port: appPort,
            configureServices: services => services.AddSingleton<IKmsKeyCacheInvalidator>(_materials));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _app.DisposeAsync();
        _materials.Dispose();
    }

    [Fact]
    public async Task DecryptAsync_VersionRevokedAfterCaching_WebhookEvictsAndTheKmsRefusesTheNextDecrypt()
    {
        var encryptor = new EnvelopeEncryptor(_materials);
        var message = await encryptor.EncryptAsync("order 42"u8.ToArray(), Context);

        var first = await encryptor.DecryptAsync(message, Context);
        var second = await encryptor.DecryptAsync(message, Context);
        Assert.Equal("order 42"u8.ToArray(), first.Plaintext);
        Assert.Equal("order 42"u8.ToArray(), second.Plaintext);
        Assert.Equal(1, _requests.Decrypt);   // the second was a cache hit

        await KmsTestClients.Admin(_host).RevokeKeyVersionsAsync(_keyId, new RevocationOptions([1], "envelope end-to-end test"));
        // Handlers run after every cache was evicted, so this event in the handler means the manager has had it.
        await Eventually.HoldsAsync(() => _app.Handler.Received.Any(e =>
                e.Type == KmsEventTypes.KeyVersionRevoked && e.KeyId == _keyId && e.Version == 1),
            "Kms.KeyVersionRevoked did not reach the app");

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => encryptor.DecryptAsync(message, Context));
        Assert.Equal((409, "KeyVersionRevoked"), (refused.Status, refused.ErrorCode));
        Assert.Equal(2, _requests.Decrypt);
    }
}
