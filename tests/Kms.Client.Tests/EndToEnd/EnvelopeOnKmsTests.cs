using System.Security.Cryptography;
using Kms.Client.Envelope;
using Kms.Client.Models;
using Kms.Client.Tests.Client;
using Kms.Client.Tests.Shared;
using Kms.Testing;

namespace Kms.Client.Tests.EndToEnd;

/// <summary>
/// The envelope layer over the real KmsClient and the real KMS (SoftHSM2 + Azurite), with every HTTP request the client
/// sends counted on the wire.
/// </summary>
[Collection(KmsClientCollection.Name)]
public sealed class EnvelopeOnKmsTests(KmsHostFixture host)
{
    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme", ["purpose"] = "e2e" };

    private readonly RequestCounter _requests = new();

    private KmsClient AppClient() => _requests.CreateClient(host.BaseAddress, KmsTestClients.Credential(host, "e2e-envelope-app", KmsRoles.Crypto));

    private async Task<string> NewKeyAsync() => (await KmsTestClients.Admin(host).CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

    [Fact]
    public async Task EncryptAsync_TenThousandMessagesUnderOneCacheEntry_OneGenerateDataKeyRequestAndAllDecrypt()
    {
        var keyId = await NewKeyAsync();
        using var materials = new CachingCryptoMaterialsManager(new KmsKeyring(AppClient(), keyId),
            new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1), MaxMessagesEncrypted = 10_000 });
        var encryptor = new EnvelopeEncryptor(materials);

        var messages = new List<byte[]>(10_000);
        for (var i = 0; i < 10_000; i++)
        {
            messages.Add(await encryptor.EncryptAsync(BitConverter.GetBytes(i), Context));
        }

        Assert.Equal(1, _requests.GenerateDataKey);
        for (var i = 0; i < messages.Count; i++)
        {
            var result = await encryptor.DecryptAsync(messages[i], Context);
            Assert.Equal(BitConverter.GetBytes(i), result.Plaintext);
            Assert.Equal((keyId, 1), (result.KeyId, result.KeyVersion));
        }

        // The one wrapped data key is unwrapped once by the KMS, then served from the decrypt side of the cache.
        Assert.Equal(1, _requests.Decrypt);
        Assert.Equal(1, _requests.GenerateDataKey);

        // The 10,001st message is over the limit: it costs a new data key.
        await encryptor.EncryptAsync("one more"u8.ToArray(), Context);
        Assert.Equal(2, _requests.GenerateDataKey);
    }

    [Fact]
    public async Task EncryptAndDecryptStreams_TwentyMiB_RoundTripUnderADataKeyFromTheKms()
    {
        var keyId = await NewKeyAsync();
        var encryptor = new EnvelopeEncryptor(AppClient(), keyId);
        var plaintext = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);

        using var encrypted = new MemoryStream();
        using (var input = new MemoryStream(plaintext, writable: false))
        {
            await encryptor.EncryptAsync(input, encrypted, Context);
        }

        encrypted.Position = 0;
        using var decrypted = new MemoryStream();
        var info = await encryptor.DecryptAsync(encrypted, decrypted, new Dictionary<string, string> { ["tenant"] = "acme" });

        Assert.True(encrypted.Length > plaintext.Length);
        Assert.Equal(SHA256.HashData(plaintext), SHA256.HashData(decrypted.ToArray()));
        Assert.Equal((keyId, 1), (info.KeyId, info.KeyVersion));
        Assert.Equal(Context.OrderBy(p => p.Key), info.EncryptionContext.OrderBy(p => p.Key));
        Assert.Equal((1, 1), (_requests.GenerateDataKey, _requests.Decrypt));
    }
}
