using System.Security.Cryptography;
using System.Text;
using Kms.Core;
using Kms.Core.Errors;

namespace Kms.Hsm.Pkcs11.Tests;

[Collection(SoftHsmCollection.Name)]
public sealed class KeyOperationsTests
{
    private readonly SoftHsmFixture _fixture;

    public KeyOperationsTests(SoftHsmFixture fixture) => _fixture = fixture;

    public static TheoryData<KeySpec> AllSpecs => [.. Enum.GetValues<KeySpec>()];

    public static TheoryData<KeySpec, SigningAlgorithm> RsaSpecsAndAlgorithms
    {
        get
        {
            var data = new TheoryData<KeySpec, SigningAlgorithm>();
            foreach (var spec in new[] { KeySpec.Rsa2048, KeySpec.Rsa3072, KeySpec.Rsa4096 })
            {
                foreach (var algorithm in Enum.GetValues<SigningAlgorithm>().Where(a => !a.IsEcdsa()))
                {
                    data.Add(spec, algorithm);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void GenerateKey_EachSpec_ReturnsWrappedMaterialAndMatchingPublicKey(KeySpec spec)
    {
        var material = _fixture.Material(spec);

        Assert.Equal(_fixture.Options.RootKeyLabel, material.RootKeyLabel);
        Assert.NotEmpty(material.WrappedMaterial);
        switch (spec)
        {
            case KeySpec.Aes256 or KeySpec.HmacSha256:
                Assert.Null(material.PublicKey);
                // AES key wrap with padding: 32 bytes of key plus the 8-byte integrity block.
                Assert.Equal(40, material.WrappedMaterial.Length);
                break;
            case KeySpec.Rsa2048 or KeySpec.Rsa3072 or KeySpec.Rsa4096:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(material.PublicKey, out var read);
                    Assert.Equal(material.PublicKey!.Length, read);
                    Assert.Equal(spec.RsaBits(), rsa.KeySize);
                    Assert.Equal([0x01, 0x00, 0x01], rsa.ExportParameters(false).Exponent);
                }

                break;
            default:
                using (var ecdsa = ECDsa.Create())
                {
                    ecdsa.ImportSubjectPublicKeyInfo(material.PublicKey, out var read);
                    Assert.Equal(material.PublicKey!.Length, read);
                    Assert.Equal(spec == KeySpec.EcP256 ? 256 : 384, ecdsa.KeySize);
                }

                break;
        }
    }

    [Fact]
    public void GenerateKey_Twice_GivesDifferentKeys()
    {
        var first = _fixture.Hsm.GenerateKey(KeySpec.EcP256);
        var second = _fixture.Hsm.GenerateKey(KeySpec.EcP256);

        Assert.NotEqual(first.WrappedMaterial, second.WrappedMaterial);
        Assert.NotEqual(first.PublicKey, second.PublicKey);
    }

    [Fact]
    public void EncryptAesGcm_ThenDecrypt_RoundTrips()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var iv = RandomNumberGenerator.GetBytes(12);
        var aad = Encoding.UTF8.GetBytes("header+context");
        var plaintext = RandomNumberGenerator.GetBytes(1000);

        var sealedData = _fixture.Hsm.EncryptAesGcm(key, iv, aad, plaintext);
        var opened = _fixture.Hsm.DecryptAesGcm(key, iv, aad, sealedData);

        Assert.Equal(plaintext.Length + 16, sealedData.Length);
        Assert.NotEqual(plaintext, sealedData.AsSpan(0, plaintext.Length).ToArray());
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void EncryptAesGcm_EmptyPlaintextAndAad_ReturnsTagOnlyAndRoundTrips()
    {
        var key = _fixture.FreshRef(KeySpec.Aes256);
        var iv = RandomNumberGenerator.GetBytes(12);

        var sealedData = _fixture.Hsm.EncryptAesGcm(key, iv, [], []);

        Assert.Equal(16, sealedData.Length);
        Assert.Empty(_fixture.Hsm.DecryptAesGcm(key, iv, [], sealedData));
    }

    [Fact]
    public void EncryptAesGcm_SameKeyDifferentIds_ProduceSameCiphertext()
    {
        // Two references to the same wrapped material are the same key, whatever id they are cached under.
        var iv = RandomNumberGenerator.GetBytes(12);
        var plaintext = RandomNumberGenerator.GetBytes(64);

        var a = _fixture.Hsm.EncryptAesGcm(_fixture.FreshRef(KeySpec.Aes256), iv, [], plaintext);
        var b = _fixture.Hsm.EncryptAesGcm(_fixture.FreshRef(KeySpec.Aes256), iv, [], plaintext);

        Assert.Equal(a, b);
    }

    [Theory]
    [MemberData(nameof(RsaSpecsAndAlgorithms))]
    public void SignDigest_RsaAlgorithms_VerifyWithDotNet(KeySpec spec, SigningAlgorithm algorithm)
    {
        var material = _fixture.Material(spec);
        var key = _fixture.FreshRef(spec);
        var digest = algorithm.HashData(Encoding.UTF8.GetBytes($"message for {algorithm}"));

        var signature = _fixture.Hsm.SignDigest(key, algorithm, digest);

        using var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(material.PublicKey, out _);
        var padding = algorithm.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        Assert.Equal(spec.RsaBits() / 8, signature.Length);
        Assert.True(rsa.VerifyHash(digest, signature, algorithm.Hash(), padding));
        digest[0] ^= 1;
        Assert.False(rsa.VerifyHash(digest, signature, algorithm.Hash(), padding));
    }

    [Theory]
    [InlineData(KeySpec.EcP256, SigningAlgorithm.EcdsaSha256)]
    [InlineData(KeySpec.EcP384, SigningAlgorithm.EcdsaSha384)]
    public void SignDigest_Ecdsa_ReturnsDerThatVerifiesWithDotNet(KeySpec spec, SigningAlgorithm algorithm)
    {
        var material = _fixture.Material(spec);
        var key = _fixture.FreshRef(spec);
        using var ecdsa = ECDsa.Create();
        ecdsa.ImportSubjectPublicKeyInfo(material.PublicKey, out _);

        // Several signatures, so r and s with a high bit or a leading zero byte are likely to show up.
        for (var i = 0; i < 20; i++)
        {
            var digest = algorithm.HashData(BitConverter.GetBytes(i));
            var signature = _fixture.Hsm.SignDigest(key, algorithm, digest);

            Assert.Equal(0x30, signature[0]);
            Assert.True(ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence));
            Assert.True(Kms.Core.Crypto.SignatureVerifier.Verify(spec, material.PublicKey!, algorithm, digest, signature));
        }
    }

    [Fact]
    public void SignDigest_AlgorithmNotForKey_ThrowsUnsupportedAlgorithm()
    {
        var ex = Assert.Throws<KmsException>(() =>
            _fixture.Hsm.SignDigest(_fixture.FreshRef(KeySpec.EcP256), SigningAlgorithm.EcdsaSha384, new byte[48]));

        Assert.Equal(KmsErrorCodes.UnsupportedAlgorithm, ex.Code);
    }

    [Fact]
    public void SignDigest_WrongDigestLength_ThrowsValidation()
    {
        var ex = Assert.Throws<KmsException>(() =>
            _fixture.Hsm.SignDigest(_fixture.FreshRef(KeySpec.Rsa2048), SigningAlgorithm.RsassaPssSha256, new byte[31]));

        Assert.Equal(KmsErrorCodes.ValidationFailed, ex.Code);
    }

    [Fact]
    public void Mac_SameKeyAndMessage_MatchesAcrossCallsAndEvictions()
    {
        var key = _fixture.FreshRef(KeySpec.HmacSha256);
        var message = Encoding.UTF8.GetBytes("authenticate me");

        var first = _fixture.Hsm.Mac(key, message);
        _fixture.Hsm.Evict(key.KeyId);
        var second = _fixture.Hsm.Mac(key, message);
        var other = _fixture.Hsm.Mac(key, Encoding.UTF8.GetBytes("authenticate me!"));

        Assert.Equal(32, first.Length);
        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Mac_DifferentKeys_Differ()
    {
        var message = Encoding.UTF8.GetBytes("same message");
        var other = _fixture.Hsm.GenerateKey(KeySpec.HmacSha256);

        var a = _fixture.Hsm.Mac(_fixture.FreshRef(KeySpec.HmacSha256), message);
        var b = _fixture.Hsm.Mac(SoftHsmFixture.RefTo(KeySpec.HmacSha256, other, Guid.NewGuid().ToString()), message);

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void EncryptAesGcm_WithHmacKey_ThrowsIncorrectKeyUsage()
    {
        var ex = Assert.Throws<KmsException>(() =>
            _fixture.Hsm.EncryptAesGcm(_fixture.FreshRef(KeySpec.HmacSha256), new byte[12], [], [1, 2, 3]));

        Assert.Equal(KmsErrorCodes.IncorrectKeyUsage, ex.Code);
    }

    [Fact]
    public void EncryptAesGcm_WrongIvLength_ThrowsValidation()
    {
        var ex = Assert.Throws<KmsException>(() =>
            _fixture.Hsm.EncryptAesGcm(_fixture.FreshRef(KeySpec.Aes256), new byte[16], [], [1, 2, 3]));

        Assert.Equal(KmsErrorCodes.ValidationFailed, ex.Code);
    }

    [Fact]
    public void GenerateRandom_Length_ReturnsThatManyFreshBytes()
    {
        var a = _fixture.Hsm.GenerateRandom(32);
        var b = _fixture.Hsm.GenerateRandom(32);

        Assert.Equal(32, a.Length);
        Assert.NotEqual(a, b);
        Assert.Equal(1024, _fixture.Hsm.GenerateRandom(1024).Length);
    }
}
