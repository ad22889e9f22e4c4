using Azure;
using Kms.Client.AspNetCore;
using Kms.Client.Envelope;
using Kms.Client.Models;
using Kms.Client.Tests.Client;
using Kms.Client.Tests.Listener;
using Kms.Client.Tests.Shared;
using Kms.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kms.Client.Tests.EndToEnd;

/// <summary>
/// The polling fallback on the real KMS: AddKmsRevocationPolling with the app's KmsClient in DI (so the poller asks through
/// KmsClientKeyStateSource) evicts a version disabled through the API from a real CachingCryptoMaterialsManager.
/// </summary>
[Collection(KmsClientCollection.Name)]
public sealed class RevocationPollingEndToEndTests(KmsHostFixture host)
{
    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme" };

    [Fact]
    public async Task Poller_VersionDisabledThroughTheApi_EvictsItAndTheNextDecryptGoesToTheKmsAndIsRefused()
    {
        var admin = KmsTestClients.Admin(host);
        var keyId = (await admin.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var requests = new RequestCounter();
        // One principal for the whole app: it encrypts and decrypts, and reads key states for the poller.
        var app = requests.CreateClient(host.BaseAddress, KmsTestClients.Credential(host, "e2e-polling-app", KmsRoles.Crypto, KmsRoles.Auditor));
        using var materials = new CachingCryptoMaterialsManager(new KmsKeyring(app, keyId), new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1) });
        var encryptor = new EnvelopeEncryptor(materials);
        var message = await encryptor.EncryptAsync("order 42"u8.ToArray(), Context);
        await encryptor.DecryptAsync(message, Context);
        await encryptor.DecryptAsync(message, Context);
        Assert.Equal(1, requests.Decrypt);

        var evictions = new RecordingInvalidator();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(app);
        // The real cache first: when the recorder sees an eviction, the cache has had it.
        builder.Services.AddSingleton<IKmsKeyCacheInvalidator>(materials);
        builder.Services.AddSingleton<IKmsKeyCacheInvalidator>(evictions);
        builder.Services.AddKmsRevocationPolling(o =>
        {
            o.Interval = TimeSpan.FromSeconds(1);
            o.KeyIds.Add(keyId);
        });
        using var poller = builder.Build();
        Assert.IsType<KmsClientKeyStateSource>(poller.Services.GetRequiredService<IKmsKeyStateSource>());
        await poller.StartAsync();
        try
        {
            // While everything is enabled, polls evict nothing and the cached key keeps serving.
            await Eventually.HoldsAsync(() => requests.ListVersions >= 2, "The poller did not poll twice");
            Assert.Empty(evictions.Calls);
            Assert.Equal("order 42"u8.ToArray(), (await encryptor.DecryptAsync(message, Context)).Plaintext);
            Assert.Equal(1, requests.Decrypt);

            await admin.RotateKeyAsync(keyId);
            await admin.DisableKeyVersionAsync(keyId, 1);
            await Eventually.HoldsAsync(() => evictions.Calls.Contains(new Eviction(keyId, 1)), "The poller did not evict version 1");

            var refused = await Assert.ThrowsAsync<RequestFailedException>(() => encryptor.DecryptAsync(message, Context));
            Assert.Equal((409, "KeyVersionDisabled"), (refused.Status, refused.ErrorCode));
            Assert.Equal(2, requests.Decrypt);
            Assert.DoesNotContain(new Eviction(keyId, 2), evictions.Calls);
        }
        finally
        {
            await poller.StopAsync();
        }
    }
}
