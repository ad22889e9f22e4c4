using Kms.Core.Crypto;

namespace Kms.Core.Tests.Crypto;

public sealed class CiphertextTests
{
    private static readonly Guid KeyId = Guid.Parse("0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80");

    [Fact]
    public void TryParse_AssembledBlob_RoundTripsHeaderFields()
    {
        var blob = Assemble(KeyId, 7, new byte[20]);

        Assert.True(Ciphertext.TryParse(blob, out var parsed));
        Assert.Equal(KeyId, parsed.KeyId);
        Assert.Equal(7, parsed.Version);
        Assert.Equal(Ciphertext.IvLength, parsed.Iv.Length);
        Assert.Equal(20, parsed.EncryptedDataAndTag.Length);
    }

    [Fact]
    public void WriteHeader_KeyIdBytes_AreRfc4122Order()
    {
        var header = new byte[Ciphertext.HeaderLength];
        Ciphertext.WriteHeader(header, KeyId, 1);

        Assert.Equal(Convert.FromHexString("01010b5e8f527c1d4e4a9a573f2d6c1e9b8000000001"), header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(Ciphertext.Overhead - 1)]
    public void TryParse_TooShort_False(int length)
    {
        Assert.False(Ciphertext.TryParse(new byte[length], out _));
    }

    [Fact]
    public void TryParse_UnknownFormatVersion_False()
    {
        var blob = Assemble(KeyId, 1, new byte[16]);
        blob[0] = 2;
        Assert.False(Ciphertext.TryParse(blob, out _));
    }

    [Fact]
    public void TryParse_UnknownAlgorithm_False()
    {
        var blob = Assemble(KeyId, 1, new byte[16]);
        blob[1] = 9;
        Assert.False(Ciphertext.TryParse(blob, out _));
    }

    [Fact]
    public void TryParse_VersionZero_False()
    {
        var blob = Assemble(KeyId, 1, new byte[16]);
        blob[21] = 0;
        Assert.False(Ciphertext.TryParse(blob, out _));
    }

    [Fact]
    public void BuildAad_IsHeaderThenCanonicalContext()
    {
        var header = new byte[Ciphertext.HeaderLength];
        Ciphertext.WriteHeader(header, KeyId, 3);
        var context = EncryptionContext.From(new Dictionary<string, string> { ["a"] = "b" });

        var aad = Ciphertext.BuildAad(header, context);

        Assert.Equal(header, aad[..Ciphertext.HeaderLength]);
        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'a', 0, 1, (byte)'b' }, aad[Ciphertext.HeaderLength..]);
    }

    private static byte[] Assemble(Guid keyId, int version, byte[] sealedData)
    {
        var header = new byte[Ciphertext.HeaderLength];
        Ciphertext.WriteHeader(header, keyId, version);
        return Ciphertext.Assemble(header, new byte[Ciphertext.IvLength], sealedData);
    }
}
