using System.Security.Cryptography;
using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

public sealed class EnvelopeEncryptorRoundTripTests
{
    internal const string KeyId = "0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80";

    private readonly FakeKmsDataKeyProvider _kms = new();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(48)]
    [InlineData(49)]
    public async Task DecryptAsync_MessageOfAnyLength_ReturnsPlaintextContextAndKeyId(int length)
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = 16 });
        var plaintext = RandomNumberGenerator.GetBytes(length);
        var context = new Dictionary<string, string> { ["tenant"] = "acme", ["purpose"] = "invoice" };

        var message = await encryptor.EncryptAsync(plaintext, context);
        var result = await encryptor.DecryptAsync(message);

        Assert.Equal(plaintext, result.Plaintext);
        Assert.Equal(context, result.EncryptionContext);
        Assert.Equal(KeyId, result.KeyId);
        Assert.Equal(1, result.KeyVersion);
    }

    [Fact]
    public async Task EncryptAsync_ExactFrameMultiple_EndsWithAFullFinalFrame()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = 16 });
        var plaintext = RandomNumberGenerator.GetBytes(32);

        var message = await encryptor.EncryptAsync(plaintext);

        // Final frame: marker, sequence 2, length 16, 16 bytes, tag; the regular frame before it: sequence 1, 16 bytes, tag.
        var final = message.AsSpan(message.Length - (12 + 16 + 16), 12).ToArray();
        Assert.Equal(Convert.FromHexString("ffffffff0000000200000010"), final);
        Assert.Equal(plaintext, (await encryptor.DecryptAsync(message)).Plaintext);
    }

    [Fact]
    public async Task DecryptAsync_MultiMegabyteStream_RoundTripsFrameByFrame()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = 4096 });
        var plaintext = RandomNumberGenerator.GetBytes((5 * 1024 * 1024) + 123);
        using var encrypted = new MemoryStream();
        using var decrypted = new MemoryStream();

        await encryptor.EncryptAsync(new MemoryStream(plaintext), encrypted, new Dictionary<string, string> { ["table"] = "orders" });
        encrypted.Position = 0;
        var info = await encryptor.DecryptAsync(encrypted, decrypted, new Dictionary<string, string> { ["table"] = "orders" });

        Assert.True(plaintext.AsSpan().SequenceEqual(decrypted.ToArray()));
        Assert.Equal(KeyId, info.KeyId);
        Assert.Equal("orders", info.EncryptionContext["table"]);
    }

    [Fact]
    public async Task DecryptAsync_NonSeekableStreamsInSmallReads_RoundTrip()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = 100 });
        var plaintext = RandomNumberGenerator.GetBytes(1000);
        using var encrypted = new MemoryStream();
        using var decrypted = new MemoryStream();

        await encryptor.EncryptAsync(new NonSeekableStream(plaintext), encrypted);
        await encryptor.DecryptAsync(new NonSeekableStream(encrypted.ToArray(), maxChunk: 3), decrypted);

        Assert.Equal(plaintext, decrypted.ToArray());
        Assert.Equal(plaintext, (await encryptor.DecryptAsync(encrypted.ToArray())).Plaintext);
    }

    [Fact]
    public async Task DecryptAsync_MemoryNotBackedByAnArray_RoundTrips()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = 16 });
        var plaintext = RandomNumberGenerator.GetBytes(50);
        using var plaintextMemory = new NonArrayMemory((byte[])plaintext.Clone());

        var message = await encryptor.EncryptAsync(plaintextMemory.Memory);
        using var messageMemory = new NonArrayMemory(message);
        var result = await encryptor.DecryptAsync(messageMemory.Memory);

        Assert.Equal(plaintext, result.Plaintext);
    }

    [Fact]
    public async Task EncryptAsync_Alias_HeaderNamesTheCanonicalKeyId()
    {
        _kms.AddAlias("orders-key", KeyId);
        var encryptor = new EnvelopeEncryptor(_kms, "orders-key");

        var message = await encryptor.EncryptAsync(new byte[] { 42 });
        var result = await encryptor.DecryptAsync(message);

        Assert.Equal("orders-key", Assert.Single(_kms.GenerateRequests).KeyIdOrAlias);
        Assert.Equal(KeyId, result.KeyId);
    }

    [Fact]
    public async Task EncryptAsync_SamePlaintextTwice_ProducesDifferentMessages()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId);

        var first = await encryptor.EncryptAsync(new byte[] { 1, 2, 3 });
        var second = await encryptor.EncryptAsync(new byte[] { 1, 2, 3 });

        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task EncryptAsync_Context_IsSentToTheKmsAndStoredInClear()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId);
        var context = new Dictionary<string, string> { ["tenant"] = "acme" };

        var message = await encryptor.EncryptAsync(new byte[] { 1 }, context);
        await encryptor.DecryptAsync(message);

        Assert.Equal(context, Assert.Single(_kms.GenerateRequests).Context);
        Assert.Equal(context, Assert.Single(_kms.DecryptContexts));
        Assert.True(message.AsSpan().IndexOf("acme"u8) >= 0);
    }

    [Fact]
    public async Task EncryptAsync_ContextTooLarge_ThrowsBeforeCallingTheKms()
    {
        var encryptor = new EnvelopeEncryptor(_kms, KeyId);
        var context = Enumerable.Range(0, 65).ToDictionary(i => $"k{i}", _ => "v");

        await Assert.ThrowsAsync<ArgumentException>(() => encryptor.EncryptAsync(new byte[] { 1 }, context));
        Assert.Equal(0, _kms.GenerateCalls);
    }

    [Fact]
    public void FrameLength_OutOfBounds_Throws()
    {
        var options = new EnvelopeEncryptorOptions();

        Assert.Throws<ArgumentOutOfRangeException>(() => options.FrameLength = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.FrameLength = (1024 * 1024) + 1);
    }
}
