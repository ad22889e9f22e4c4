using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

/// <summary>
/// The test vectors of docs/envelope-format.md. They were computed by an independent implementation of the document
/// (Python, `cryptography`'s AESGCM and HKDF), so these tests check this code against the document, not against itself.
/// Version 1 vectors are messages written before version 2: they must keep decrypting, though nothing writes v1 now.
/// </summary>
public sealed class EnvelopeFormatTestVectorTests
{
    private const string KeyId = "0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80";

    private static readonly byte[] s_dataKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] s_wrappedDataKey = Convert.FromHexString("e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");

    public static TheoryData<string, string, string, int, string, string> Version1Vectors => new()
    {
        {
            "vector 1: context, two regular frames worth of plaintext in 8-byte frames",
            "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
            "tenant=acme;purpose=invoice",
            8,
            "48656c6c6f2c20656e76656c6f706521",
            "010001404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f002200020007707572706f73650007696e766f696365000674656e616e74000461636d650001002430623565386635322d376331642d346534612d396135372d3366326436633165396238300020e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0200000008db7f0ece337ea3684c62081780bff93400000001631d8c6e0f852e523f90a7425714943cd815ed868fec553cffffffff0000000200000008910cc7ab122bc77601cd14e6b5c45b0d65d8d03429da7fd8"
        },
        {
            "vector 2: no context, empty plaintext",
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "",
            4096,
            "",
            "010001808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f000200000001002430623565386635322d376331642d346534612d396135372d3366326436633165396238300020e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff02000010003adbc97cdbdb200ba93077f61dd26fe0ffffffff000000010000000073ffe9153474423c88bed9ee97a480cc"
        },
    };

    public static TheoryData<string, string, string, int, string, string> Version2Vectors => new()
    {
        {
            "vector 3: context, two frames in 8-byte frames, message number 0",
            "404142434445464748494a4b4c4d4e4f50515253545556570000000000000000",
            "tenant=acme;purpose=invoice",
            8,
            "48656c6c6f2c20656e76656c6f706521",
            "020001404142434445464748494a4b4c4d4e4f50515253545556570000000000000000002200020007707572706f73650007696e766f696365000674656e616e74000461636d650001002430623565386635322d376331642d346534612d396135372d3366326436633165396238300020e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0200000008000000018e225a42f2e8d3a3d980522d150f4c4e3f3d516bd51a1f20ffffffff00000002000000080d8dbbbd15c4e13a25b98b6e8734a31017e00765de69a7ee"
        },
        {
            "vector 4: no context, one final frame, message number 0x0102030405060708 in the nonce",
            "808182838485868788898a8b8c8d8e8f90919293949596970102030405060708",
            "",
            4096,
            "6d657373616765206e756d626572203732363233383539373930333832383536",
            "020001808182838485868788898a8b8c8d8e8f90919293949596970102030405060708000200000001002430623565386635322d376331642d346534612d396135372d3366326436633165396238300020e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff0200001000ffffffff000000010000002064d56b290ee14685bfc2499444be5d1ffb310f9878243bf0c603d67e7c64ba6d3fe24eec7bb604f109bd463a30797694"
        },
    };

    [Theory]
    [MemberData(nameof(Version2Vectors))]
    public async Task EncryptAsync_FixedInputs_ProducesTheDocumentedMessage(string name, string messageIdHex, string context, int frameLength, string plaintextHex, string messageHex)
    {
        var encryptor = CreateEncryptor(frameLength, Convert.FromHexString(messageIdHex));

        var message = await encryptor.EncryptAsync(Convert.FromHexString(plaintextHex), ParseContext(context));

        Assert.Equal(messageHex, Convert.ToHexStringLower(message));
        Assert.NotNull(name);
    }

    [Theory]
    [MemberData(nameof(Version2Vectors))]
    public async Task EncryptAsync_FixedInputsAsStream_ProducesTheDocumentedMessage(string name, string messageIdHex, string context, int frameLength, string plaintextHex, string messageHex)
    {
        var encryptor = CreateEncryptor(frameLength, Convert.FromHexString(messageIdHex));
        using var input = new MemoryStream(Convert.FromHexString(plaintextHex));
        using var output = new MemoryStream();

        await encryptor.EncryptAsync(input, output, ParseContext(context));

        Assert.Equal(messageHex, Convert.ToHexStringLower(output.ToArray()));
        Assert.NotNull(name);
    }

    [Theory]
    [MemberData(nameof(Version1Vectors))]
    [MemberData(nameof(Version2Vectors))]
    public async Task DecryptAsync_DocumentedMessage_GivesThePlaintextAndContext(string name, string messageIdHex, string context, int frameLength, string plaintextHex, string messageHex)
    {
        var encryptor = CreateEncryptor(frameLength, Convert.FromHexString(messageIdHex));

        var result = await encryptor.DecryptAsync(Convert.FromHexString(messageHex), ParseContext(context));

        Assert.Equal(plaintextHex, Convert.ToHexStringLower(result.Plaintext));
        Assert.Equal(ParseContext(context), result.EncryptionContext);
        Assert.Equal(KeyId, result.KeyId);
        Assert.NotNull(name);
    }

    private static EnvelopeEncryptor CreateEncryptor(int frameLength, byte[] messageId)
    {
        var kms = new FixedDataKeyProvider(KeyId, 1, s_dataKey, s_wrappedDataKey);
        return new EnvelopeEncryptor(
            new DefaultCryptoMaterialsManager(new KmsKeyring(kms, KeyId)),
            new EnvelopeEncryptorOptions { FrameLength = frameLength },
            () => (byte[])messageId.Clone());
    }

    private static Dictionary<string, string> ParseContext(string pairs) =>
        pairs.Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
}
