using System.Text;
using Kms.Core.Crypto;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Services;

public sealed class CryptoServiceTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("card 4111-1111-1111-1111");
    private static readonly EncryptionContext Tenant = EncryptionContext.From(new Dictionary<string, string> { ["tenant"] = "acme" });

    [Fact]
    public async Task EncryptDecrypt_WithContext_RoundTrips()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var encrypted = await f.Crypto.EncryptAsync(keyId, Plaintext, Tenant, None);
        var decrypted = await f.Crypto.DecryptAsync(encrypted.Ciphertext, Tenant, None);

        Assert.Equal(Plaintext, decrypted.Plaintext);
        Assert.Equal(keyId, decrypted.KeyId);
        Assert.Equal(1, decrypted.Version);
    }

    [Fact]
    public async Task Decrypt_WrongContext_InvalidCiphertext()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var encrypted = await f.Crypto.EncryptAsync(keyId, Plaintext, Tenant, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(encrypted.Ciphertext, EncryptionContext.Empty, None));

        Assert.Equal(KmsErrorCodes.InvalidCiphertext, e.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(30)]
    [InlineData(-1)]
    public async Task Decrypt_FlippedByte_InvalidCiphertext(int index)
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var blob = (await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None)).Ciphertext;
        blob[index < 0 ? blob.Length - 1 : index] ^= 0x40;

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(blob, EncryptionContext.Empty, None));

        // A flipped key-id byte names a key that does not exist; everything else fails authentication.
        Assert.Contains(e.Code, new[] { KmsErrorCodes.InvalidCiphertext, KmsErrorCodes.KeyNotFound });
    }

    [Fact]
    public async Task Decrypt_Truncated_InvalidCiphertext()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var blob = (await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None)).Ciphertext;

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(blob[..^1], EncryptionContext.Empty, None));

        Assert.Equal(KmsErrorCodes.InvalidCiphertext, e.Code);
    }

    [Fact]
    public async Task Rotate_OldCiphertextStillDecrypts_NewEncryptionsUsePrimary()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var before = await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);

        await f.Keys.RotateAsync(keyId, None);
        var after = await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);

        Assert.Equal(1, before.Version);
        Assert.Equal(2, after.Version);
        Assert.Equal(Plaintext, (await f.Crypto.DecryptAsync(before.Ciphertext, EncryptionContext.Empty, None)).Plaintext);
        Assert.Equal(Plaintext, (await f.Crypto.DecryptAsync(after.Ciphertext, EncryptionContext.Empty, None)).Plaintext);
    }

    [Fact]
    public async Task Encrypt_DisabledKey_KeyDisabledUntilEnabled()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);

        await f.Keys.SetKeyStateAsync(keyId, KeyState.Disabled, None);
        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None));
        await f.Keys.SetKeyStateAsync(keyId, KeyState.Enabled, None);
        var again = await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);

        Assert.Equal(KmsErrorCodes.KeyDisabled, e.Code);
        Assert.Equal(KmsErrorKind.InvalidState, e.Kind);
        Assert.Contains((keyId, (int?)null), f.Hsm.Evictions);
        Assert.NotNull(again.Ciphertext);
    }

    [Fact]
    public async Task Decrypt_DisabledVersion_KeyVersionDisabled_OtherVersionsWork()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var v1 = await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);
        await f.Keys.RotateAsync(keyId, None);
        var v2 = await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None);

        await f.Keys.SetVersionStateAsync(keyId, 1, KeyVersionState.Disabled, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(v1.Ciphertext, EncryptionContext.Empty, None));
        Assert.Equal(KmsErrorCodes.KeyVersionDisabled, e.Code);
        Assert.Equal(Plaintext, (await f.Crypto.DecryptAsync(v2.Ciphertext, EncryptionContext.Empty, None)).Plaintext);
        Assert.Contains((keyId, (int?)1), f.Hsm.Evictions);
    }

    [Fact]
    public async Task Sign_AesKey_IncorrectKeyUsage()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.SignAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, null, None));

        Assert.Equal(KmsErrorCodes.IncorrectKeyUsage, e.Code);
    }

    [Fact]
    public async Task Sign_EcdsaWithRsaKey_UnsupportedAlgorithm()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Rsa2048);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.SignAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, null, None));

        Assert.Equal(KmsErrorCodes.UnsupportedAlgorithm, e.Code);
    }

    [Theory]
    [InlineData(KeySpec.Rsa2048, SigningAlgorithm.RsassaPssSha256)]
    [InlineData(KeySpec.Rsa2048, SigningAlgorithm.RsassaPkcs1V15Sha512)]
    [InlineData(KeySpec.EcP256, SigningAlgorithm.EcdsaSha256)]
    [InlineData(KeySpec.EcP384, SigningAlgorithm.EcdsaSha384)]
    public async Task SignVerify_MessageAndDigest_Valid_TamperedInvalid(KeySpec spec, SigningAlgorithm algorithm)
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(spec);

        var signed = await f.Crypto.SignAsync(keyId, algorithm, Plaintext, null, None);
        var byDigest = await f.Crypto.VerifyAsync(keyId, algorithm, null, algorithm.HashData(Plaintext), signed.Signature, null, None);
        var tampered = await f.Crypto.VerifyAsync(keyId, algorithm, Encoding.UTF8.GetBytes("other"), null, signed.Signature, null, None);

        Assert.True(byDigest.Valid);
        Assert.False(tampered.Valid);
    }

    [Fact]
    public async Task Sign_MessageAndDigestBoth_ValidationFailed()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.EcP256);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.SignAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, new byte[32], None));

        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public async Task Verify_AfterRotation_OldSignatureVerifiesWithItsVersion()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.EcP256);
        var signed = await f.Crypto.SignAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, null, None);
        await f.Keys.RotateAsync(keyId, None);

        var withPrimary = await f.Crypto.VerifyAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, null, signed.Signature, null, None);
        var withVersion = await f.Crypto.VerifyAsync(keyId, SigningAlgorithm.EcdsaSha256, Plaintext, null, signed.Signature, signed.Version, None);

        Assert.False(withPrimary.Valid);
        Assert.True(withVersion.Valid);
    }

    [Fact]
    public async Task VerifyMac_SameMessage_Valid_OtherMessageInvalid()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.HmacSha256);

        var mac = await f.Crypto.GenerateMacAsync(keyId, Plaintext, None);

        Assert.True((await f.Crypto.VerifyMacAsync(keyId, Plaintext, mac.Mac, null, None)).Valid);
        Assert.False((await f.Crypto.VerifyMacAsync(keyId, Encoding.UTF8.GetBytes("x"), mac.Mac, null, None)).Valid);
    }

    [Fact]
    public async Task GenerateDataKey_CiphertextDecryptsToPlaintext()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var dataKey = await f.Crypto.GenerateDataKeyAsync(keyId, DataKeySpec.Aes128, Tenant, None);

        Assert.Equal(16, dataKey.Plaintext.Length);
        Assert.Equal(dataKey.Plaintext, (await f.Crypto.DecryptAsync(dataKey.Ciphertext, Tenant, None)).Plaintext);
    }

    [Fact]
    public async Task ReEncrypt_ToOtherKeyAndContext_DecryptsThere()
    {
        var f = new ServiceFixture();
        var source = await f.CreateKeyAsync(KeySpec.Aes256);
        var destination = await f.CreateKeyAsync(KeySpec.Aes256, alias: "payments");
        var encrypted = await f.Crypto.EncryptAsync(source, Plaintext, Tenant, None);

        var moved = await f.Crypto.ReEncryptAsync(encrypted.Ciphertext, Tenant, "payments", EncryptionContext.Empty, None);

        Assert.Equal(destination, moved.KeyId);
        Assert.Equal(source, moved.SourceKeyId);
        Assert.Equal(Plaintext, (await f.Crypto.DecryptAsync(moved.Ciphertext, EncryptionContext.Empty, None)).Plaintext);
    }

    [Fact]
    public async Task Encrypt_TooLarge_PayloadTooLarge()
    {
        var f = new ServiceFixture(new KmsOptions { MaxPlaintextBytes = 100 });
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.EncryptAsync(keyId, new byte[101], EncryptionContext.Empty, None));

        Assert.Equal(KmsErrorCodes.PayloadTooLarge, e.Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1025)]
    public async Task GenerateRandom_OutOfRange_ValidationFailed(int length)
    {
        var f = new ServiceFixture();
        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.GenerateRandomAsync(length, None));
        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public async Task Decrypt_AuthorizesTheKeyNamedInTheCiphertext_BeforeUsingIt()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var blob = (await f.Crypto.EncryptAsync(keyId, Plaintext, Tenant, None)).Ciphertext;
        f.Access.Denied.Add(Kms.Core.Authorization.KmsActions.Decrypt);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(blob, Tenant, None));

        Assert.Equal(KmsErrorCodes.AccessDenied, e.Code);
        Assert.Contains((Kms.Core.Authorization.KmsActions.Decrypt, (string?)keyId), f.Access.Demands);
    }

    [Fact]
    public async Task ReEncrypt_AuthorizesSourceAndDestinationKeys()
    {
        var f = new ServiceFixture();
        var source = await f.CreateKeyAsync(KeySpec.Aes256);
        var destination = await f.CreateKeyAsync(KeySpec.Aes256);
        var blob = (await f.Crypto.EncryptAsync(source, Plaintext, EncryptionContext.Empty, None)).Ciphertext;

        await f.Crypto.ReEncryptAsync(blob, EncryptionContext.Empty, destination, EncryptionContext.Empty, None);

        Assert.Contains((Kms.Core.Authorization.KmsActions.ReEncrypt, (string?)source), f.Access.Demands);
        Assert.Contains((Kms.Core.Authorization.KmsActions.ReEncrypt, (string?)destination), f.Access.Demands);
    }

    [Fact]
    public async Task Encrypt_KeyPendingDeletion_KeyPendingDeletion()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.ScheduleDeletionAsync(keyId, 7, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None));

        Assert.Equal(KmsErrorCodes.KeyPendingDeletion, e.Code);
    }
}
