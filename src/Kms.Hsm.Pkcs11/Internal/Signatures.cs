using System.Formats.Asn1;
using System.Numerics;
using Kms.Core;
using Net.Pkcs11Interop.Common;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>Encodings around raw PKCS#11 signing mechanisms.</summary>
internal static class Signatures
{
    // DER DigestInfo headers (RFC 8017, 9.2 note 1) that CKM_RSA_PKCS expects in front of the digest.
    private static readonly byte[] Sha256DigestInfo = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly byte[] Sha384DigestInfo = [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];
    private static readonly byte[] Sha512DigestInfo = [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];

    /// <summary>DigestInfo(hash OID, digest) for RSASSA-PKCS1-v1_5 through CKM_RSA_PKCS.</summary>
    public static byte[] DigestInfo(SigningAlgorithm algorithm, ReadOnlySpan<byte> digest)
    {
        var prefix = algorithm.DigestLength() switch
        {
            32 => Sha256DigestInfo,
            48 => Sha384DigestInfo,
            _ => Sha512DigestInfo,
        };
        return [.. prefix, .. digest];
    }

    /// <summary>CK_RSA_PKCS_PSS_PARAMS values: hash, MGF1 with the same hash, salt as long as the digest (what .NET and openssl verify by default).</summary>
    public static (CKM Hash, CKG Mgf, ulong SaltLength) PssParameters(SigningAlgorithm algorithm) => algorithm.DigestLength() switch
    {
        32 => (CKM.CKM_SHA256, CKG.CKG_MGF1_SHA256, 32UL),
        48 => (CKM.CKM_SHA384, CKG.CKG_MGF1_SHA384, 48UL),
        _ => (CKM.CKM_SHA512, CKG.CKG_MGF1_SHA512, 64UL),
    };

    /// <summary>The length of CKM_ECDSA's raw r||s for a key of <paramref name="spec"/>: twice the curve's field size.</summary>
    public static int EcdsaRawLength(KeySpec spec) => spec switch
    {
        KeySpec.EcP256 => 64,
        KeySpec.EcP384 => 96,
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "Not an EC key spec."),
    };

    /// <summary>Converts CKM_ECDSA's raw r||s into the DER SEQUENCE { r INTEGER, s INTEGER } callers expect (RFC 3279).</summary>
    public static byte[] EcdsaRawToDer(ReadOnlySpan<byte> rawSignature)
    {
        if (rawSignature.Length == 0 || rawSignature.Length % 2 != 0)
        {
            throw new ArgumentException("A raw ECDSA signature is r||s of equal lengths.", nameof(rawSignature));
        }

        var half = rawSignature.Length / 2;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(rawSignature[..half], isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new BigInteger(rawSignature[half..], isUnsigned: true, isBigEndian: true));
        }

        return writer.Encode();
    }
}
