using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Kms.Api.Contracts;
using Kms.Api.Http;

namespace Kms.Api.Tests;

/// <summary>
/// The records the crypto handlers read and write (bytes) have the shape of the contract records the OpenAPI
/// document describes (base64 strings), and serialize to exactly the same JSON text.
/// </summary>
public sealed class CryptoWireTests
{
    public static TheoryData<Type, Type> Pairs => new()
    {
        { typeof(EncryptItem), typeof(EncryptItemWire) },
        { typeof(EncryptRequest), typeof(EncryptRequestWire) },
        { typeof(EncryptResponse), typeof(EncryptResponseWire) },
        { typeof(EncryptItemResult), typeof(EncryptItemResultWire) },
        { typeof(DecryptItem), typeof(DecryptItemWire) },
        { typeof(DecryptRequest), typeof(DecryptRequestWire) },
        { typeof(DecryptResponse), typeof(DecryptResponseWire) },
        { typeof(DecryptItemResult), typeof(DecryptItemResultWire) },
        { typeof(ReEncryptItem), typeof(ReEncryptItemWire) },
        { typeof(ReEncryptRequest), typeof(ReEncryptRequestWire) },
        { typeof(ReEncryptResponse), typeof(ReEncryptResponseWire) },
        { typeof(ReEncryptItemResult), typeof(ReEncryptItemResultWire) },
        { typeof(GenerateDataKeyResponse), typeof(GenerateDataKeyResponseWire) },
        { typeof(SignResponse), typeof(SignResponseWire) },
        { typeof(MacResponse), typeof(MacResponseWire) },
        { typeof(RandomResponse), typeof(RandomResponseWire) },
    };

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Wire_HasTheContractsPropertiesInOrder(Type contract, Type wire)
    {
        Assert.Equal(Shape(contract), Shape(wire));
    }

    [Fact]
    public void EncryptResponse_SerializesLikeTheContract()
    {
        var (a, b) = (RandomNumberGenerator.GetBytes(1061), RandomNumberGenerator.GetBytes(1));
        var error = new ItemError("InvalidBase64", 400, "The field 'plaintext' is not valid base64.");

        AssertSameJson(new EncryptResponse(B64(a), "key-1", 3),
            new EncryptResponseWire(a, "key-1", 3));
        AssertSameJson(new EncryptResponse(Items: [new EncryptItemResult(B64(a), "key-1", 3, null), new EncryptItemResult(null, null, null, error),
                new EncryptItemResult(B64(b), "key-1", 3, null), new EncryptItemResult(B64([]), "k", 1, null)]),
            new EncryptResponseWire(Items: [new EncryptItemResultWire(a, "key-1", 3, null), new EncryptItemResultWire(null, null, null, error),
                new EncryptItemResultWire(b, "key-1", 3, null), new EncryptItemResultWire([], "k", 1, null)]));
    }

    [Fact]
    public void DecryptResponse_SerializesLikeTheContract()
    {
        var (a, b) = (RandomNumberGenerator.GetBytes(1024), RandomNumberGenerator.GetBytes(2));
        var error = new ItemError("InvalidCiphertext", 400, "x");

        AssertSameJson(new DecryptResponse(B64(a), "key-1", 1), new DecryptResponseWire(a, "key-1", 1));
        AssertSameJson(new DecryptResponse(Items: [new DecryptItemResult(B64(a), "key-1", 1, null), new DecryptItemResult(null, null, null, error),
                new DecryptItemResult(B64(b), "key-2", 2, null)]),
            new DecryptResponseWire(Items: [new DecryptItemResultWire(a, "key-1", 1, null), new DecryptItemResultWire(null, null, null, error),
                new DecryptItemResultWire(b, "key-2", 2, null)]));
    }

    [Fact]
    public void ReEncryptResponse_SerializesLikeTheContract()
    {
        var a = RandomNumberGenerator.GetBytes(1100);
        var error = new ItemError("NotFound", 404, "y");

        AssertSameJson(new ReEncryptResponse(B64(a), "k2", 1, "k1", 4), new ReEncryptResponseWire(a, "k2", 1, "k1", 4));
        AssertSameJson(new ReEncryptResponse(Items: [new ReEncryptItemResult(B64(a), "k2", 1, "k1", 4, null), new ReEncryptItemResult(null, null, null, null, null, error)]),
            new ReEncryptResponseWire(Items: [new ReEncryptItemResultWire(a, "k2", 1, "k1", 4, null), new ReEncryptItemResultWire(null, null, null, null, null, error)]));
    }

    [Fact]
    public void DataKeySignMacAndRandomResponses_SerializeLikeTheContracts()
    {
        // The signature's and the random bytes' base64 hold a '+' (the escape the wire records avoid) with near certainty.
        var (key, blob, signature, random) = (RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(81),
            RandomNumberGenerator.GetBytes(256), RandomNumberGenerator.GetBytes(1024));

        AssertSameJson(new GenerateDataKeyResponse(B64(key), B64(blob), "key-1", 2), new GenerateDataKeyResponseWire(key, blob, "key-1", 2));
        AssertSameJson(new GenerateDataKeyResponse(null, B64(blob), "key-1", 2), new GenerateDataKeyResponseWire(null, blob, "key-1", 2));
        AssertSameJson(new SignResponse(B64(signature), "key-2", 1, "RSASSA_PSS_SHA_256"),
            new SignResponseWire(signature, "key-2", 1, "RSASSA_PSS_SHA_256"));
        AssertSameJson(new MacResponse(B64(key), "key-3", 4), new MacResponseWire(key, "key-3", 4));
        AssertSameJson(new RandomResponse(B64(random)), new RandomResponseWire(random));
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes);

    private static void AssertSameJson<TContract, TWire>(TContract contract, TWire wire)
    {
        var written = JsonSerializer.Serialize(wire, KmsJson.Options);
        Assert.Equal(JsonSerializer.Serialize(contract, KmsJson.Options), JsonText.Canonical(written));
        // Base64 goes out as it is: escaping its '+' costs a pass over every byte of the answer and changes nothing.
        Assert.DoesNotContain("\\u002B", written, StringComparison.Ordinal);
    }

    /// <summary>Each property's name and type, with the wire's byte fields named as the base64 strings they stand for.</summary>
    private static List<string> Shape(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract")
            .Select(p => $"{p.Name}: {TypeName(p.PropertyType)}")];

    private static string TypeName(Type type) =>
        type == typeof(Base64Bytes) || type == typeof(byte[]) ? "String"
        : type.IsGenericType ? $"{type.Name}<{string.Join(',', type.GetGenericArguments().Select(TypeName))}>"
        : type.Name.EndsWith("Wire", StringComparison.Ordinal) ? type.Name[..^4]
        : type.Name;
}
