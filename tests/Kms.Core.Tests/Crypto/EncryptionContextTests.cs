using Kms.Core.Crypto;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Crypto;

public sealed class EncryptionContextTests
{
    [Fact]
    public void WriteCanonical_SameMapInAnyOrder_SameBytes()
    {
        var a = EncryptionContext.From(new Dictionary<string, string> { ["tenant"] = "acme", ["app"] = "billing", ["é"] = "x" });
        var b = EncryptionContext.From(new Dictionary<string, string> { ["é"] = "x", ["tenant"] = "acme", ["app"] = "billing" });

        Assert.Equal(Canonical(a), Canonical(b));
        Assert.Equal(["app", "tenant", "é"], a.Keys);
    }

    [Fact]
    public void WriteCanonical_Empty_IsTwoZeroBytes()
    {
        Assert.Equal(new byte[] { 0, 0 }, Canonical(EncryptionContext.From(null)));
    }

    [Fact]
    public void WriteCanonical_KnownPair_MatchesDocumentedLayout()
    {
        var bytes = Canonical(EncryptionContext.From(new Dictionary<string, string> { ["a"] = "bc" }));

        Assert.Equal(new byte[] { 0, 1, 0, 1, (byte)'a', 0, 2, (byte)'b', (byte)'c' }, bytes);
    }

    [Fact]
    public void WriteCanonical_ValuesDiffer_BytesDiffer()
    {
        var a = EncryptionContext.From(new Dictionary<string, string> { ["k"] = "v1" });
        var b = EncryptionContext.From(new Dictionary<string, string> { ["k"] = "v2" });

        Assert.NotEqual(Canonical(a), Canonical(b));
    }

    [Fact]
    public void From_EmptyKey_ValidationFailed()
    {
        var e = Assert.Throws<KmsException>(() => EncryptionContext.From(new Dictionary<string, string> { [""] = "v" }));
        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
    }

    [Fact]
    public void From_TooLarge_ValidationFailed()
    {
        var e = Assert.Throws<KmsException>(() => EncryptionContext.From(new Dictionary<string, string> { ["k"] = new string('x', 9000) }));
        Assert.Equal(KmsErrorCodes.ValidationFailed, e.Code);
        Assert.DoesNotContain("xxxx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void From_TooManyPairs_ValidationFailed()
    {
        var map = Enumerable.Range(0, EncryptionContext.MaxPairs + 1).ToDictionary(i => $"k{i}", i => "v");
        Assert.Equal(KmsErrorCodes.ValidationFailed, Assert.Throws<KmsException>(() => EncryptionContext.From(map)).Code);
    }

    private static byte[] Canonical(EncryptionContext context)
    {
        var bytes = new byte[context.CanonicalLength];
        context.WriteCanonical(bytes);
        return bytes;
    }
}
