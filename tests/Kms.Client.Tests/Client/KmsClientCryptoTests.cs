using System.Security.Cryptography;
using Azure;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>The cryptographic routes through KmsClient against the real KMS (SoftHSM2).</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientCryptoTests(KmsHostFixture host)
{
    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme", ["table"] = "orders" };
    private readonly KmsClient _client = KmsTestClients.Admin(host);

    private async Task<string> KeyAsync(string spec) => (await _client.CreateKeyAsync(new CreateKeyOptions(spec))).Value.KeyId;

    [Fact]
    public async Task EncryptDecrypt_WithContext_RoundTripsAndAnotherContextIsInvalidCiphertext()
    {
        var keyId = await KeyAsync(KeySpecs.Aes256);
        var plaintext = "card 4111"u8.ToArray();

        var encrypted = await _client.EncryptAsync(keyId, plaintext, Context);
        var decrypted = await _client.DecryptAsync(encrypted.Value.Ciphertext, Context);
        var wrongContext = await Assert.ThrowsAsync<RequestFailedException>(() =>
            _client.DecryptAsync(encrypted.Value.Ciphertext, new Dictionary<string, string> { ["tenant"] = "other" }));

        Assert.NotEqual(plaintext, encrypted.Value.Ciphertext);
        Assert.Equal(plaintext, decrypted.Value.Plaintext);
        Assert.Equal((keyId, 1), (decrypted.Value.KeyId, decrypted.Value.Version));
        Assert.Equal((400, "InvalidCiphertext"), (wrongContext.Status, wrongContext.ErrorCode));
    }

    [Fact]
    public async Task Decrypt_Garbage_ThrowsInvalidCiphertext400WithoutEchoingIt()
    {
        var garbage = "definitely-not-a-kms-ciphertext"u8.ToArray();

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => _client.DecryptAsync(garbage));

        Assert.Equal(400, failure.Status);
        Assert.Equal("InvalidCiphertext", failure.ErrorCode);
        Assert.DoesNotContain(Convert.ToBase64String(garbage), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReEncrypt_ToAnotherKey_OpensUnderTheDestinationOnly()
    {
        var source = await KeyAsync(KeySpecs.Aes256);
        var destination = await KeyAsync(KeySpecs.Aes256);
        var encrypted = await _client.EncryptAsync(source, "moving"u8.ToArray(), Context);

        var moved = await _client.ReEncryptAsync(encrypted.Value.Ciphertext,
            new ReEncryptOptions { SourceContext = Context, DestinationKeyId = destination, DestinationContext = new Dictionary<string, string> { ["v"] = "2" } });
        var opened = await _client.DecryptAsync(moved.Value.Ciphertext, new Dictionary<string, string> { ["v"] = "2" });

        Assert.Equal((destination, source, 1), (moved.Value.KeyId, moved.Value.SourceKeyId, moved.Value.SourceVersion));
        Assert.Equal("moving"u8.ToArray(), opened.Value.Plaintext);
        Assert.Equal(destination, opened.Value.KeyId);
    }

    [Fact]
    public async Task Batches_OneBadItem_FailsThatItemOnlyInOrder()
    {
        var keyId = await KeyAsync(KeySpecs.Aes256);
        var other = await KeyAsync(KeySpecs.Aes256);

        var encrypted = await _client.EncryptBatchAsync(keyId, [new EncryptItem("one"u8.ToArray()), new EncryptItem("two"u8.ToArray(), Context)]);
        var decrypted = await _client.DecryptBatchAsync([
            new DecryptItem(encrypted.Value[0].Value!.Ciphertext),
            new DecryptItem("garbage"u8.ToArray()),
            new DecryptItem(encrypted.Value[1].Value!.Ciphertext, Context),
        ]);
        var reEncrypted = await _client.ReEncryptBatchAsync([
            new ReEncryptItem(encrypted.Value[0].Value!.Ciphertext, new ReEncryptOptions { DestinationKeyId = other }),
            new ReEncryptItem(encrypted.Value[1].Value!.Ciphertext),
        ]);

        Assert.All(encrypted.Value, r => Assert.True(r.Succeeded));
        Assert.Equal("one"u8.ToArray(), decrypted.Value[0].Value!.Plaintext);
        Assert.Equal((false, "InvalidCiphertext", 400), (decrypted.Value[1].Succeeded, decrypted.Value[1].Error!.Code, decrypted.Value[1].Error!.Status));
        Assert.Equal("two"u8.ToArray(), decrypted.Value[2].Value!.Plaintext);
        Assert.Equal(other, reEncrypted.Value[0].Value!.KeyId);
        Assert.Equal("InvalidCiphertext", reEncrypted.Value[1].Error!.Code);
    }

    [Fact]
    public async Task GenerateDataKey_WithAndWithoutPlaintext_CiphertextDecryptsToTheSameKey()
    {
        var keyId = await KeyAsync(KeySpecs.Aes256);

        var withPlaintext = await _client.GenerateDataKeyAsync(keyId, new GenerateDataKeyOptions { Context = Context });
        var opened = await _client.DecryptAsync(withPlaintext.Value.Ciphertext, Context);
        var withoutPlaintext = await _client.GenerateDataKeyAsync(keyId,
            new GenerateDataKeyOptions { KeySpec = "AES_128", IncludePlaintext = false });
        var opened128 = await _client.DecryptAsync(withoutPlaintext.Value.Ciphertext);

        Assert.Equal(32, withPlaintext.Value.Plaintext!.Length);
        Assert.Equal(withPlaintext.Value.Plaintext, opened.Value.Plaintext);
        Assert.Null(withoutPlaintext.Value.Plaintext);
        Assert.Equal(16, opened128.Value.Plaintext.Length);
    }

    [Fact]
    public async Task DataKeyProvider_GenerateThenDecrypt_ReturnsTheSameKeyUnderTheCanonicalKeyId()
    {
        var alias = "client-dk-" + Guid.NewGuid().ToString("N")[..8];
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256) { Alias = alias })).Value.KeyId;
        IKmsDataKeyProvider provider = _client;

        var generated = await provider.GenerateDataKeyAsync(alias, Context);
        var decrypted = await provider.DecryptDataKeyAsync(generated.Ciphertext, Context);

        Assert.Equal((keyId, 1), (generated.KeyId, generated.Version));
        Assert.Equal(32, generated.Plaintext.Length);
        Assert.Equal(generated.Plaintext, decrypted.Plaintext);
        Assert.Equal(generated.Ciphertext, decrypted.Ciphertext);
    }

    [Fact]
    public async Task SignVerify_EcP256_SignatureVerifiesInTheKmsAndLocallyWithThePublicKey()
    {
        var keyId = await KeyAsync(KeySpecs.EcP256);
        var message = "pay 10 EUR to bob"u8.ToArray();

        var signed = await _client.SignAsync(keyId, SigningAlgorithms.EcdsaSha256, message);
        var verified = await _client.VerifyAsync(keyId, SigningAlgorithms.EcdsaSha256, message, signed.Value.Signature);
        var tampered = await _client.VerifyAsync(keyId, SigningAlgorithms.EcdsaSha256, "pay 99 EUR to eve"u8.ToArray(), signed.Value.Signature);
        var digestSigned = await _client.SignDigestAsync(keyId, SigningAlgorithms.EcdsaSha256, SHA256.HashData(message));
        var digestVerified = await _client.VerifyDigestAsync(keyId, SigningAlgorithms.EcdsaSha256, SHA256.HashData(message), digestSigned.Value.Signature,
            version: 1);
        var publicKey = await _client.GetPublicKeyAsync(keyId);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportFromPem(publicKey.Value.PublicKey);

        Assert.True(verified.Value.Valid);
        Assert.False(tampered.Value.Valid);
        Assert.True(digestVerified.Value.Valid);
        Assert.Equal((keyId, 1, KeySpecs.EcP256), (publicKey.Value.KeyId, publicKey.Value.Version, publicKey.Value.KeySpec));
        Assert.True(ecdsa.VerifyData(message, signed.Value.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public async Task Sign_WithAnEncryptionKey_ThrowsIncorrectKeyUsage400()
    {
        var keyId = await KeyAsync(KeySpecs.Aes256);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => _client.SignAsync(keyId, SigningAlgorithms.EcdsaSha256, "m"u8.ToArray()));

        Assert.Equal((400, "IncorrectKeyUsage"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public async Task GenerateMacVerifyMac_SameAndAlteredMessage_ValidThenInvalid()
    {
        var keyId = await KeyAsync(KeySpecs.HmacSha256);

        var mac = await _client.GenerateMacAsync(keyId, "webhook body"u8.ToArray());
        var valid = await _client.VerifyMacAsync(keyId, "webhook body"u8.ToArray(), mac.Value.Mac);
        var invalid = await _client.VerifyMacAsync(keyId, "webhook body!"u8.ToArray(), mac.Value.Mac, version: 1);

        Assert.Equal(32, mac.Value.Mac.Length);
        Assert.True(valid.Value.Valid);
        Assert.False(invalid.Value.Valid);
    }

    [Fact]
    public async Task GenerateRandom_ValidAndOutOfRangeCounts_ReturnsBytesOrValidationFailed()
    {
        var random = await _client.GenerateRandomAsync(48);
        var other = await _client.GenerateRandomAsync(48);
        var tooMany = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GenerateRandomAsync(5000));

        Assert.Equal(48, random.Value.Length);
        Assert.NotEqual(random.Value, other.Value);
        Assert.Equal((400, "ValidationFailed"), (tooMany.Status, tooMany.ErrorCode));
    }
}
