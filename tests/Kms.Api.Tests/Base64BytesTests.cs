using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Errors;

namespace Kms.Api.Tests;

/// <summary>
/// Base64Bytes (decoded by the JSON reader from UTF-8) accepts exactly what Base64Field accepts for the same JSON
/// string read as a .NET string, and fails with the same error: each case is decided by both and compared.
/// </summary>
public sealed class Base64BytesTests
{
    // JSON text of the "plaintext" value, as it appears in a body.
    public static TheoryData<string> Values => new()
    {
        "\"\"",                       // empty: zero bytes
        "\"QQ==\"", "\"QUI=\"", "\"QUJD\"", "\"QUJDRA==\"",
        "\"QR==\"", "\"QUJ=\"",       // unused bits not zero
        "\"QU+/\"", "\"QU-_\"",       // standard alphabet; base64url
        "\"QQ\"", "\"QUJ\"", "\"QUJD=\"", "\"Q===\"", "\"====\"", "\"QQ==QQ==\"", "\"=QUJ\"",
        "\" QUJD\"", "\"QUJD \"", "\"QU JD\"", "\"QUJD\\n\"", "\"QUJD\\r\\nRA==\"", "\"Q\\tUJD\"", "\"\\t\"", "\" \"", "\"QQ= =\"",
        "\"\\u0041QID\"",             // escaped: "AQID"
        "\"QU\\/+\"",                 // escaped solidus: "QU/+"
        "\"\\u0051\\u0051\\u003d\\u003d\"",
        "\"QUJD\\u00e9\"", "\"\u00e9\u00e9\u00e9\u00e9\"", "\"QUJD\\u0000\"",
        "\"not base64!\"",
        "null",
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Required_SameOutcomeAsStringField(string value)
    {
        var json = $"{{\"plaintext\":{value}}}";

        Assert.Equal(Outcome(() => Base64Field.Required(Deserialize<EncryptItem>(json).Plaintext, "plaintext")),
            Outcome(() => Base64Field.Required(Deserialize<EncryptItemWire>(json).Plaintext, "plaintext")));
    }

    [Fact]
    public void Required_MissingField_SameErrorAsStringField()
    {
        var old = Outcome(() => Base64Field.Required(Deserialize<EncryptItem>("{}").Plaintext, "plaintext"));

        Assert.StartsWith("error ValidationFailed", old);
        Assert.Equal(old, Outcome(() => Base64Field.Required(Deserialize<EncryptItemWire>("{}").Plaintext, "plaintext")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Required_LongValue_EscapedOrNot_DecodesTheBytes(bool escaped)
    {
        var bytes = RandomNumberGenerator.GetBytes(3000);
        var base64 = Convert.ToBase64String(bytes);
        var text = escaped ? base64.Replace("/", "\\/", StringComparison.Ordinal).Replace("A", "\\u0041", StringComparison.Ordinal) : base64;

        var item = Deserialize<EncryptItemWire>($"{{\"plaintext\":\"{text}\"}}");

        Assert.Equal(bytes, Base64Field.Required(item.Plaintext, "plaintext"));
    }

    [Fact]
    public void Clear_ZeroesTheDecodedBytes()
    {
        var item = Deserialize<EncryptItemWire>("{\"plaintext\":\"c2VjcmV0\"}");
        var bytes = Base64Field.Required(item.Plaintext, "plaintext");

        item.Plaintext!.Clear();

        Assert.Equal(new byte[6], bytes);
    }

    [Fact]
    public async Task Read_ValueSplitAcrossBuffers_DecodesTheBytes()
    {
        // A tiny read buffer makes the reader hand the converter the value as a multi-segment sequence.
        var options = new JsonSerializerOptions(KmsJson.Options) { DefaultBufferSize = 16 };
        var bytes = RandomNumberGenerator.GetBytes(200);
        var items = string.Join(',', Enumerable.Range(0, 5).Select(_ => $"{{\"plaintext\":\"{Convert.ToBase64String(bytes)}\"}}"));
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes($"{{\"items\":[{items},{{\"plaintext\":\"QU JD\"}},{{\"plaintext\":\"QU-_\"}}]}}"));

        var request = await JsonSerializer.DeserializeAsync<EncryptRequestWire>(stream, options);

        Assert.All(request!.Items!.Take(5), i => Assert.Equal(bytes, Base64Field.Required(i.Plaintext, "plaintext")));
        Assert.Equal("ABC"u8.ToArray(), Base64Field.Required(request.Items![5].Plaintext, "plaintext"));
        Assert.Equal(KmsErrorCodes.InvalidBase64, Assert.Throws<KmsException>(() => Base64Field.Required(request.Items[6].Plaintext, "plaintext")).Code);
    }

    [Theory]
    [InlineData("{\"items\":[{\"plaintext\":5}]}")]
    [InlineData("{\"items\":[{\"plaintext\":{}}]}")]
    [InlineData("{\"items\":[{\"plaintext\":[\"QQ==\"]}]}")]
    [InlineData("{\"plaintext\":true}")]
    public void Read_NotAString_MalformedAtTheSamePath(string json)
    {
        var old = Assert.ThrowsAny<JsonException>(() => Deserialize<EncryptRequest>(json));
        var wire = Assert.ThrowsAny<JsonException>(() => Deserialize<EncryptRequestWire>(json));

        Assert.Equal(old.Path, wire.Path);
    }

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, KmsJson.Options)!;

    private static string Outcome(Func<byte[]> decode)
    {
        try
        {
            return "bytes " + Convert.ToHexString(decode());
        }
        catch (KmsException e)
        {
            return $"error {e.Code} {e.Kind} {e.Message}";
        }
    }
}
