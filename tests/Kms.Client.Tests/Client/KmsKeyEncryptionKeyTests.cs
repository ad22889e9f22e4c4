using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Kms.Client.Cryptography;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The KMS as Azure Blob Storage's client-side encryption key (v2.0) on Azurite.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsKeyEncryptionKeyTests(KmsHostFixture host)
{
    private readonly KmsClient _client = KmsTestClients.Admin(host);

    private static BlobServiceClient Blobs(ClientSideEncryptionOptions? encryption = null) =>
        new(LocalStack.Require("Kms:Storage:ConnectionString"),
            encryption is null ? new BlobClientOptions() : new SpecializedBlobClientOptions { ClientSideEncryption = encryption });

    [Fact]
    public async Task UploadDownload_ClientSideEncryptionWithAKmsKey_RoundTripsAndStoresNoPlaintext()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var plaintext = "quarterly numbers: 42"u8.ToArray();
        var containerName = LocalStack.UniqueName("cse");
        await Blobs().GetBlobContainerClient(containerName).CreateAsync();
        var encrypting = Blobs(new ClientSideEncryptionOptions(ClientSideEncryptionVersion.V2_0)
        {
            KeyEncryptionKey = _client.GetKeyEncryptionKey(keyId),
            KeyWrapAlgorithm = KmsKeyEncryptionKey.Algorithm,
        });
        var resolving = Blobs(new ClientSideEncryptionOptions(ClientSideEncryptionVersion.V2_0)
        {
            KeyResolver = _client.GetKeyEncryptionKeyResolver(),
        });

        await encrypting.GetBlobContainerClient(containerName).GetBlobClient("report").UploadAsync(BinaryData.FromBytes(plaintext));
        var decrypted = (await encrypting.GetBlobContainerClient(containerName).GetBlobClient("report").DownloadContentAsync()).Value.Content.ToArray();
        var raw = (await Blobs().GetBlobContainerClient(containerName).GetBlobClient("report").DownloadContentAsync()).Value;
        var resolved = (await resolving.GetBlobContainerClient(containerName).GetBlobClient("report").DownloadContentAsync()).Value.Content.ToArray();

        Assert.Equal(plaintext, decrypted);
        Assert.NotEqual(plaintext, raw.Content.ToArray());
        Assert.DoesNotContain("quarterly", raw.Content.ToString(), StringComparison.Ordinal);
        Assert.Contains(keyId, raw.Details.Metadata["encryptiondata"], StringComparison.Ordinal);
        Assert.Equal(plaintext, resolved);
        await Blobs().GetBlobContainerClient(containerName).DeleteAsync();
    }

    [Fact]
    public async Task WrapUnwrap_SyncAndAsync_RoundTripAndOtherAlgorithmsAreRefused()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var kek = _client.GetKeyEncryptionKey(keyId, new Dictionary<string, string> { ["purpose"] = "cek" });
        var cek = (await _client.GenerateRandomAsync(32)).Value;

        var wrapped = kek.WrapKey(KmsKeyEncryptionKey.Algorithm, cek);
        var unwrapped = await kek.UnwrapKeyAsync(KmsKeyEncryptionKey.Algorithm, wrapped);
        var wrappedAsync = await kek.WrapKeyAsync(KmsKeyEncryptionKey.Algorithm, cek);
        var unwrappedSync = kek.UnwrapKey(KmsKeyEncryptionKey.Algorithm, wrappedAsync);

        Assert.Equal(cek, unwrapped);
        Assert.Equal(cek, unwrappedSync);
        Assert.NotEqual(cek, wrapped);
        Assert.Throws<ArgumentException>(() => kek.WrapKey("RSA-OAEP", cek));
        await Assert.ThrowsAsync<ArgumentException>(() => kek.UnwrapKeyAsync("A256KW", wrapped));
    }

    [Fact]
    public async Task UnwrapKey_CiphertextOfAnotherKmsKey_IsRefused()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var otherKeyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var wrappedByOther = await _client.GetKeyEncryptionKey(otherKeyId).WrapKeyAsync(KmsKeyEncryptionKey.Algorithm, new byte[32]);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _client.GetKeyEncryptionKey(keyId).UnwrapKeyAsync(KmsKeyEncryptionKey.Algorithm, wrappedByOther));
    }
}
