using System.Formats.Asn1;
using System.Security.Cryptography;
using Kms.Core;
using Kms.Hsm.Pkcs11.Internal;

namespace Kms.Hsm.Pkcs11.Tests.Internal;

public sealed class EncodingTests
{
    [Fact]
    public void EcdsaRawToDer_ManySignatures_VerifyAsRfc3279()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < 200; i++)
        {
            var digest = SHA256.HashData(BitConverter.GetBytes(i));
            var raw = key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            var der = Signatures.EcdsaRawToDer(raw);

            Assert.True(key.VerifyHash(digest, der, DSASignatureFormat.Rfc3279DerSequence));
        }
    }

    [Fact]
    public void EcdsaRawToDer_HighBitAndLeadingZeros_EncodesMinimalPositiveIntegers()
    {
        byte[] r = [0x00, 0x00, 0x01, 0x02];
        byte[] s = [0x80, 0x00, 0x00, 0x01];

        var der = Signatures.EcdsaRawToDer([.. r, .. s]);

        // SEQUENCE { INTEGER 0x0102, INTEGER 0x0080000001 }
        Assert.Equal([0x30, 0x0b, 0x02, 0x02, 0x01, 0x02, 0x02, 0x05, 0x00, 0x80, 0x00, 0x00, 0x01], der);
    }

    [Fact]
    public void EcdsaRawToDer_OddLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => Signatures.EcdsaRawToDer(new byte[63]));
    }

    [Theory]
    [InlineData(SigningAlgorithm.RsassaPkcs1V15Sha256, "2.16.840.1.101.3.4.2.1")]
    [InlineData(SigningAlgorithm.RsassaPkcs1V15Sha384, "2.16.840.1.101.3.4.2.2")]
    [InlineData(SigningAlgorithm.RsassaPkcs1V15Sha512, "2.16.840.1.101.3.4.2.3")]
    public void DigestInfo_EachHash_IsDerWithTheHashOidAndDigest(SigningAlgorithm algorithm, string oid)
    {
        var digest = RandomNumberGenerator.GetBytes(algorithm.DigestLength());

        var reader = new AsnReader(Signatures.DigestInfo(algorithm, digest), AsnEncodingRules.DER);
        var info = reader.ReadSequence();
        var algorithmId = info.ReadSequence();

        Assert.Equal(oid, algorithmId.ReadObjectIdentifier());
        algorithmId.ReadNull();
        Assert.Equal(digest, info.ReadOctetString());
        Assert.False(reader.HasData);
    }

    [Fact]
    public void PssParameters_Sha384_SaltIsDigestLength()
    {
        var (hash, mgf, salt) = Signatures.PssParameters(SigningAlgorithm.RsassaPssSha384);

        Assert.Equal(Net.Pkcs11Interop.Common.CKM.CKM_SHA384, hash);
        Assert.Equal(Net.Pkcs11Interop.Common.CKG.CKG_MGF1_SHA384, mgf);
        Assert.Equal(48UL, salt);
    }

    [Theory]
    [InlineData(KeySpec.EcP256)]
    [InlineData(KeySpec.EcP384)]
    public void EcSpki_DerWrappedOrRawPoint_MatchesDotNetExport(KeySpec spec)
    {
        using var key = ECDsa.Create(spec == KeySpec.EcP256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        var q = key.ExportParameters(false).Q;
        byte[] raw = [0x04, .. q.X!, .. q.Y!];
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(raw);

        var fromDer = PublicKeys.EcSpki(KeyTemplates.EcParams(spec), writer.Encode());
        var fromRaw = PublicKeys.EcSpki(KeyTemplates.EcParams(spec), raw);

        Assert.Equal(key.ExportSubjectPublicKeyInfo(), fromDer);
        Assert.Equal(fromDer, fromRaw);
    }

    [Fact]
    public void RsaSpki_ModulusAndExponent_MatchesDotNetExport()
    {
        using var key = RSA.Create(2048);
        var parameters = key.ExportParameters(false);

        Assert.Equal(key.ExportSubjectPublicKeyInfo(), PublicKeys.RsaSpki(parameters.Modulus!, parameters.Exponent!));
    }
}
