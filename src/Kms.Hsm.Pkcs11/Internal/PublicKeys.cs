using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>Builds SubjectPublicKeyInfo DER from the attributes of a PKCS#11 public key object.</summary>
internal static class PublicKeys
{
    public static byte[] RsaSpki(byte[] modulus, byte[] publicExponent)
    {
        using var rsa = RSA.Create();
        rsa.ImportParameters(new RSAParameters { Modulus = modulus, Exponent = publicExponent });
        return rsa.ExportSubjectPublicKeyInfo();
    }

    /// <param name="ecParams">CKA_EC_PARAMS: the DER OID of a named curve.</param>
    /// <param name="ecPoint">CKA_EC_POINT: an uncompressed point, DER-wrapped in an OCTET STRING as PKCS#11 2.40 says (raw is accepted too).</param>
    public static byte[] EcSpki(byte[] ecParams, byte[] ecPoint)
    {
        var oid = AsnDecoder.ReadObjectIdentifier(ecParams, AsnEncodingRules.DER, out _);
        var curve = ECCurve.CreateFromValue(oid);
        var fieldBytes = oid switch
        {
            "1.2.840.10045.3.1.7" => 32,
            "1.3.132.0.34" => 48,
            _ => throw new CryptographicException("Unsupported EC curve."),
        };

        var point = ecPoint.Length == 1 + (2 * fieldBytes)
            ? ecPoint
            : AsnDecoder.ReadOctetString(ecPoint, AsnEncodingRules.DER, out _);
        if (point.Length != 1 + (2 * fieldBytes) || point[0] != 0x04)
        {
            throw new CryptographicException("The EC public point is not an uncompressed point on the expected curve.");
        }

        using var ecdsa = ECDsa.Create();
        ecdsa.ImportParameters(new ECParameters
        {
            Curve = curve,
            Q = new ECPoint { X = point[1..(1 + fieldBytes)], Y = point[(1 + fieldBytes)..] },
        });
        return ecdsa.ExportSubjectPublicKeyInfo();
    }
}
