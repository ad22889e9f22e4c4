using System.Security.Cryptography;
using System.Text;
using Kms.Core;
using Kms.Core.Errors;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Every ciphertext that does not open gets the same answer, InvalidCiphertext, and the connector keeps working.</summary>
[Collection(SoftHsmCollection.Name)]
public sealed class DecryptFailureTests
{
    private readonly SoftHsmFixture _fixture;
    private readonly byte[] _iv = RandomNumberGenerator.GetBytes(12);
    private readonly byte[] _aad = Encoding.UTF8.GetBytes("tenant=a");
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(100);

    public DecryptFailureTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    [InlineData(99)]
    [InlineData(100)]
    [InlineData(115)]
    public void DecryptAesGcm_FlippedBit_ThrowsInvalidCiphertext(int position)
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);
        sealedData[position] ^= 0x01;

        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, _iv, _aad, sealedData));
    }

    [Fact]
    public void DecryptAesGcm_WrongAad_ThrowsInvalidCiphertext()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);

        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, _iv, Encoding.UTF8.GetBytes("tenant=b"), sealedData));
        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, _iv, [], sealedData));
    }

    [Fact]
    public void DecryptAesGcm_WrongIv_ThrowsInvalidCiphertext()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);
        var otherIv = (byte[])_iv.Clone();
        otherIv[11] ^= 0x80;

        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, otherIv, _aad, sealedData));
    }

    [Fact]
    public void DecryptAesGcm_OtherKey_ThrowsInvalidCiphertext()
    {
        var sealedData = _fixture.Hsm.EncryptAesGcm(_fixture.FreshRef(KeySpec.Aes256), _iv, _aad, _plaintext);
        var otherKey = SoftHsmFixture.RefTo(KeySpec.Aes256, _fixture.Hsm.GenerateKey(KeySpec.Aes256), Guid.NewGuid().ToString());

        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(otherKey, _iv, _aad, sealedData));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(40)]
    public void DecryptAesGcm_Truncated_ThrowsInvalidCiphertext(int length)
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);

        AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, _iv, _aad, sealedData.AsSpan(0, length)));
    }

    [Fact]
    public void DecryptAesGcm_AfterRejections_StillDecryptsValidCiphertext()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);
        var tampered = (byte[])sealedData.Clone();
        tampered[^1] ^= 0xFF;

        // More rejections than there are pooled sessions: none may leave a session unusable.
        for (var i = 0; i < (2 * _fixture.Options.MaxSessions) + 2; i++)
        {
            AssertInvalidCiphertext(() => _fixture.Hsm.DecryptAesGcm(key, _iv, _aad, tampered));
        }

        Assert.Equal(_plaintext, _fixture.Hsm.DecryptAesGcm(key, _iv, _aad, sealedData));
        Assert.True(_fixture.Logger.Has(2007));
    }

    [Fact]
    public void Logs_AfterOperations_HoldNoKeyMaterialPinOrPlaintext()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var sealedData = _fixture.Hsm.EncryptAesGcm(key, _iv, _aad, _plaintext);
        sealedData[0] ^= 1;
        Assert.Throws<KmsException>(() => _fixture.Hsm.DecryptAesGcm(key, _iv, _aad, sealedData));

        var wrappedHex = Convert.ToHexString(key.WrappedMaterial.Span);
        var plaintextHex = Convert.ToHexString(_plaintext);
        Assert.All(_fixture.Logger.Events, e =>
        {
            Assert.DoesNotContain(_fixture.Options.UserPin, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(wrappedHex, e.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(plaintextHex, e.Message, StringComparison.OrdinalIgnoreCase);
        });
    }

    private static void AssertInvalidCiphertext(Func<byte[]> decrypt)
    {
        var ex = Assert.Throws<KmsException>(() => decrypt());
        Assert.Equal(KmsErrorCodes.InvalidCiphertext, ex.Code);
        Assert.DoesNotContain("CKR_", ex.ToString(), StringComparison.Ordinal);
    }
}
