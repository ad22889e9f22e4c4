using System.Buffers.Binary;
using System.Security.Cryptography;
using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

public sealed class EnvelopeEncryptorTamperTests
{
    private const string KeyId = EnvelopeEncryptorRoundTripTests.KeyId;
    private const int FrameLength = 16;

    // 40 bytes in 16-byte frames: regular frames 1 and 2 (4 + 16 + 16 bytes each), final frame 3 (12 + 8 + 16 bytes).
    private const int RegularFrameSize = 4 + FrameLength + 16;
    private const int BodyLength = (2 * RegularFrameSize) + 12 + 8 + 16;

    private readonly FakeKmsDataKeyProvider _kms = new();
    private readonly EnvelopeEncryptor _encryptor;
    private readonly byte[] _plaintext = RandomNumberGenerator.GetBytes(40);
    private readonly Dictionary<string, string> _context = new() { ["tenant"] = "acme" };

    public EnvelopeEncryptorTamperTests() =>
        _encryptor = new EnvelopeEncryptor(_kms, KeyId, new EnvelopeEncryptorOptions { FrameLength = FrameLength });

    [Fact]
    public async Task DecryptAsync_AnyBitFlippedInHeaderOrBody_Fails()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);

        for (var i = 0; i < message.Length; i++)
        {
            var tampered = (byte[])message.Clone();
            tampered[i] ^= 0x01;

            // The KMS's own refusal (wrapped key or context changed) is a CryptographicException too.
            await Assert.ThrowsAnyAsync<CryptographicException>(() => _encryptor.DecryptAsync(tampered));
        }
    }

    [Fact]
    public async Task DecryptAsync_MessageIdChanged_HeaderDoesNotAuthenticate()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        message[3] ^= 0x80;

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_FrameCiphertextChanged_FrameDoesNotAuthenticate()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        message[message.Length - BodyLength + 4] ^= 0x01;

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_EveryTruncation_Fails()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);

        for (var length = 0; length < message.Length; length++)
        {
            await Assert.ThrowsAnyAsync<CryptographicException>(() => _encryptor.DecryptAsync(message.AsMemory(0, length)));
        }
    }

    [Fact]
    public async Task DecryptAsync_CutAtAFrameBoundary_IsTruncated()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        var withoutFinalFrame = message.AsMemory(0, message.Length - BodyLength + (2 * RegularFrameSize));

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(withoutFinalFrame));

        Assert.Equal(EnvelopeErrorReason.Truncated, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_BytesAfterFinalFrame_Fails()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message.Append((byte)0).ToArray()));

        Assert.Equal(EnvelopeErrorReason.TrailingData, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_RegularFramesSwapped_Fails()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        var body = message.Length - BodyLength;
        var swapped = (byte[])message.Clone();
        message.AsSpan(body, RegularFrameSize).CopyTo(swapped.AsSpan(body + RegularFrameSize));
        message.AsSpan(body + RegularFrameSize, RegularFrameSize).CopyTo(swapped.AsSpan(body));

        await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(swapped));
    }

    [Fact]
    public async Task DecryptAsync_FrameDroppedAndSequenceRenumbered_Fails()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        var body = message.Length - BodyLength;

        // Drop frame 1 and relabel frame 2 as 1 and the final frame as 2: the nonce and AAD still say 2 and 3.
        var dropped = message.AsSpan(0, body).ToArray()
            .Concat(message.AsSpan(body + RegularFrameSize).ToArray()).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(dropped.AsSpan(body), 1);
        BinaryPrimitives.WriteUInt32BigEndian(dropped.AsSpan(body + RegularFrameSize + 4), 2);

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(dropped));

        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_RegularFrameRelabelledFinal_Fails()
    {
        var plaintext = RandomNumberGenerator.GetBytes(32);
        var message = await _encryptor.EncryptAsync(plaintext);

        // Keep header + frame 1 and turn frame 1 into a final frame of 16 bytes: the final flag is in the AAD.
        var body = message.Length - (RegularFrameSize + 12 + 16 + 16);
        var frame1 = message.AsSpan(body, RegularFrameSize);
        var forged = new byte[body + 12 + FrameLength + 16];
        message.AsSpan(0, body).CopyTo(forged);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(body), 0xFFFF_FFFF);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(body + 4), 1);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(body + 8), FrameLength);
        frame1[4..].CopyTo(forged.AsSpan(body + 12));

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(forged));

        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_StreamWithBadSecondFrame_WritesOnlyTheFramesBeforeIt()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        var secondFrameTag = message.Length - BodyLength + RegularFrameSize + 4 + FrameLength;
        message[secondFrameTag] ^= 0x01;
        using var output = new MemoryStream();

        await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(new MemoryStream(message), output));

        Assert.Equal(_plaintext.AsSpan(0, FrameLength).ToArray(), output.ToArray());
    }

    [Fact]
    public async Task DecryptAsync_FrameFromAnotherMessageUnderTheSameCachedDataKey_Fails()
    {
        using var cmm = new CachingCryptoMaterialsManager(new KmsKeyring(_kms, KeyId), new DataKeyCacheOptions { MaxAge = TimeSpan.FromHours(1) });
        var encryptor = new EnvelopeEncryptor(cmm, new EnvelopeEncryptorOptions { FrameLength = FrameLength });
        var first = await encryptor.EncryptAsync(_plaintext, _context);
        var second = await encryptor.EncryptAsync(RandomNumberGenerator.GetBytes(40), _context);
        Assert.Equal(1, _kms.GenerateCalls);

        // Same data key, same header layout; only the message id differs. Frame 1 of the second message in the first.
        var spliced = (byte[])first.Clone();
        var body = first.Length - BodyLength;
        second.AsSpan(body, RegularFrameSize).CopyTo(spliced.AsSpan(body));

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => encryptor.DecryptAsync(spliced));

        Assert.Equal(EnvelopeErrorReason.AuthenticationFailed, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_WrongKeyIdInKmsAnswer_FailsWithKeyIdMismatch()
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);
        _kms.DecryptAnswerKeyId = "4f0c6a1e-0000-4000-8000-000000000001";

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.Equal(EnvelopeErrorReason.KeyIdMismatch, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_ExpectedContextPresent_Succeeds()
    {
        var context = new Dictionary<string, string> { ["tenant"] = "acme", ["purpose"] = "invoice" };
        var message = await _encryptor.EncryptAsync(_plaintext, context);

        var result = await _encryptor.DecryptAsync(message, new Dictionary<string, string> { ["tenant"] = "acme" });

        Assert.Equal(_plaintext, result.Plaintext);
    }

    [Theory]
    [InlineData("tenant", "globex")]
    [InlineData("tenant", "ACME")]
    [InlineData("region", "eu")]
    public async Task DecryptAsync_ExpectedContextNotInMessage_FailsWithoutCallingTheKms(string key, string value)
    {
        var message = await _encryptor.EncryptAsync(_plaintext, _context);

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(
            () => _encryptor.DecryptAsync(message, new Dictionary<string, string> { [key] = value }));

        Assert.Equal(EnvelopeErrorReason.ContextMismatch, error.Reason);
        Assert.Equal(0, _kms.DecryptCalls);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DecryptAsync_ErrorMessages_NeverContainPlaintextOrContextValues()
    {
        var plaintext = "top-secret-plaintext"u8.ToArray();
        var message = await _encryptor.EncryptAsync(plaintext, new Dictionary<string, string> { ["tenant"] = "acme-secret" });
        message[^1] ^= 0x01;

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.DoesNotContain("top-secret", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("acme-secret", error.ToString(), StringComparison.Ordinal);
    }
}
