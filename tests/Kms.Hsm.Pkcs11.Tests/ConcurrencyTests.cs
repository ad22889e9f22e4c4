using System.Security.Cryptography;
using Kms.Core;
using Kms.Core.Crypto;

namespace Kms.Hsm.Pkcs11.Tests;

[Collection(SoftHsmCollection.Name)]
public sealed class ConcurrencyTests
{
    private const int Tasks = 16;
    private const int OperationsPerTask = 200;

    private readonly SoftHsmFixture _fixture;

    public ConcurrencyTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task MixedOperations_ManyTasksWithEvictions_AllSucceedAndVerify()
    {
        var aes = _fixture.FreshRef(KeySpec.Aes256);
        var hmac = _fixture.FreshRef(KeySpec.HmacSha256);
        var ec = _fixture.FreshRef(KeySpec.EcP256);
        var rsa = _fixture.FreshRef(KeySpec.Rsa2048);
        var ecPublicKey = _fixture.Material(KeySpec.EcP256).PublicKey!;
        var rsaPublicKey = _fixture.Material(KeySpec.Rsa2048).PublicKey!;
        var expectedMac = _fixture.Hsm.Mac(hmac, [42]);
        using var start = new Barrier(Tasks);

        var tasks = Enumerable.Range(0, Tasks).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            var completed = 0;
            for (var i = 0; i < OperationsPerTask; i++)
            {
                switch ((t + i) % 6)
                {
                    case 0:
                        var iv = RandomNumberGenerator.GetBytes(12);
                        var plaintext = RandomNumberGenerator.GetBytes(64 + i);
                        var sealedData = _fixture.Hsm.EncryptAesGcm(aes, iv, [(byte)t], plaintext);
                        Assert.Equal(plaintext, _fixture.Hsm.DecryptAesGcm(aes, iv, [(byte)t], sealedData));
                        break;
                    case 1:
                        Assert.Equal(expectedMac, _fixture.Hsm.Mac(hmac, [42]));
                        break;
                    case 2:
                        var digest = SHA256.HashData(BitConverter.GetBytes(i));
                        var signature = _fixture.Hsm.SignDigest(ec, SigningAlgorithm.EcdsaSha256, digest);
                        Assert.True(SignatureVerifier.Verify(KeySpec.EcP256, ecPublicKey, SigningAlgorithm.EcdsaSha256, digest, signature));
                        break;
                    case 3:
                        var rsaDigest = SHA256.HashData(BitConverter.GetBytes(t));
                        var rsaSignature = _fixture.Hsm.SignDigest(rsa, SigningAlgorithm.RsassaPssSha256, rsaDigest);
                        Assert.True(SignatureVerifier.Verify(KeySpec.Rsa2048, rsaPublicKey, SigningAlgorithm.RsassaPssSha256, rsaDigest, rsaSignature));
                        break;
                    case 4:
                        Assert.Equal(32, _fixture.Hsm.GenerateRandom(32).Length);
                        break;
                    default:
                        // Evictions race with in-flight operations on the same keys; none may see a destroyed handle.
                        if (i % 30 == 5)
                        {
                            _fixture.Hsm.Evict(t % 2 == 0 ? aes.KeyId : ec.KeyId);
                        }
                        else
                        {
                            Assert.Equal(expectedMac, _fixture.Hsm.Mac(hmac, [42]));
                        }

                        break;
                }

                completed++;
            }

            return completed;
        }, TaskCreationOptions.LongRunning)).ToArray();
        var completed = await Task.WhenAll(tasks);

        Assert.All(completed, count => Assert.Equal(OperationsPerTask, count));
        Assert.True(_fixture.Hsm.CheckHealth().Healthy);
    }
}
