using System.Collections.Concurrent;
using System.Security.Cryptography;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Core.Tests.Fakes;

/// <summary>
/// A software stand-in for the HSM port, for unit tests of service logic only: material lives in this
/// object and the "wrapped" blob is just a random handle. The real connector is tested on SoftHSM2.
/// </summary>
internal sealed class SoftwareHsm : IHsm
{
    private readonly ConcurrentDictionary<string, (KeySpec Spec, byte[]? Secret, AsymmetricAlgorithm? Private)> _material = new();

    public List<(string KeyId, int? Version)> Evictions { get; } = [];

    public GeneratedKeyMaterial GenerateKey(KeySpec spec)
    {
        var handle = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        byte[]? publicKey = null;
        if (spec.IsRsa())
        {
            var rsa = RSA.Create(spec.RsaBits());
            _material[handle] = (spec, null, rsa);
            publicKey = rsa.ExportSubjectPublicKeyInfo();
        }
        else if (spec.IsEc())
        {
            var ec = ECDsa.Create(spec == KeySpec.EcP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
            _material[handle] = (spec, null, ec);
            publicKey = ec.ExportSubjectPublicKeyInfo();
        }
        else
        {
            _material[handle] = (spec, RandomNumberGenerator.GetBytes(32), null);
        }

        return new GeneratedKeyMaterial(Convert.FromHexString(handle), publicKey, "test-root");
    }

    public byte[] EncryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        using var aes = new AesGcm(Secret(key), 16);
        var output = new byte[plaintext.Length + 16];
        aes.Encrypt(iv, plaintext, output.AsSpan(0, plaintext.Length), output.AsSpan(plaintext.Length), aad);
        return output;
    }

    public byte[] DecryptAesGcm(HsmKeyRef key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> encryptedDataAndTag)
    {
        if (encryptedDataAndTag.Length < 16)
        {
            throw KmsErrors.InvalidCiphertext();
        }

        using var aes = new AesGcm(Secret(key), 16);
        var output = new byte[encryptedDataAndTag.Length - 16];
        try
        {
            aes.Decrypt(iv, encryptedDataAndTag[..^16], encryptedDataAndTag[^16..], output, aad);
        }
        catch (CryptographicException)
        {
            throw KmsErrors.InvalidCiphertext();
        }

        return output;
    }

    public byte[] SignDigest(HsmKeyRef key, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest) => Material(key).Private switch
    {
        RSA rsa => rsa.SignHash(digest.ToArray(), algorithm.Hash(), algorithm.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1),
        ECDsa ec => ec.SignHash(digest.ToArray(), DSASignatureFormat.Rfc3279DerSequence),
        _ => throw new InvalidOperationException("Not an asymmetric key."),
    };

    public byte[] Mac(HsmKeyRef key, ReadOnlySpan<byte> message) => HMACSHA256.HashData(Secret(key), message);

    public byte[] GenerateRandom(int length) => RandomNumberGenerator.GetBytes(length);

    public void Evict(string keyId, int? version = null) => Evictions.Add((keyId, version));

    public ComponentHealth CheckHealth() => new(true, "ok");

    private (KeySpec Spec, byte[]? Secret, AsymmetricAlgorithm? Private) Material(HsmKeyRef key) =>
        _material[Convert.ToHexString(key.WrappedMaterial.Span)];

    private byte[] Secret(HsmKeyRef key) => Material(key).Secret ?? throw new InvalidOperationException("Not a secret key.");
}
