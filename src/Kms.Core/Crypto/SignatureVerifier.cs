using System.Security.Cryptography;

namespace Kms.Core.Crypto;

/// <summary>Verifies signatures with a version's public key; no secret is involved, so no HSM round trip is needed.</summary>
public static class SignatureVerifier
{
    public static bool Verify(KeySpec spec, byte[] subjectPublicKeyInfo, SigningAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (spec.IsRsa())
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
                var padding = algorithm.IsPss() ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return rsa.VerifyHash(digest, signature, algorithm.Hash(), padding);
            }

            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            return ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            // A malformed signature is simply not a valid one.
            return false;
        }
    }
}
