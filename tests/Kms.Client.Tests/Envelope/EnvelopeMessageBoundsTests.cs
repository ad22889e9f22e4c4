using System.Buffers.Binary;
using Kms.Client.Envelope;
using Kms.Client.Tests.Envelope.Fakes;

namespace Kms.Client.Tests.Envelope;

/// <summary>Hostile length fields are refused before anything is allocated or the KMS is called.</summary>
public sealed class EnvelopeMessageBoundsTests
{
    private readonly FakeKmsDataKeyProvider _kms = new();
    private readonly EnvelopeEncryptor _encryptor;

    public EnvelopeMessageBoundsTests() =>
        _encryptor = new EnvelopeEncryptor(_kms, EnvelopeEncryptorRoundTripTests.KeyId, new EnvelopeEncryptorOptions { FrameLength = 16 });

    public enum Field
    {
        FormatVersion,
        Suite,
        ContextLength,
        DataKeyCount,
        KeyIdLength,
        WrappedKeyLength,
        ContentType,
        FrameLength,
    }

    [Theory]
    [InlineData(Field.FormatVersion, 0x00u)]
    [InlineData(Field.FormatVersion, 0x03u)]
    [InlineData(Field.Suite, 0x0002u)]
    [InlineData(Field.ContextLength, 0xFFFFu)]
    [InlineData(Field.ContextLength, 0x0000u)]
    [InlineData(Field.DataKeyCount, 0u)]
    [InlineData(Field.DataKeyCount, 2u)]
    [InlineData(Field.KeyIdLength, 0xFFFFu)]
    [InlineData(Field.WrappedKeyLength, 0xFFFFu)]
    [InlineData(Field.ContentType, 0x01u)]
    [InlineData(Field.FrameLength, 0u)]
    [InlineData(Field.FrameLength, 0xFFFF_FFFFu)]
    [InlineData(Field.FrameLength, (1024u * 1024u) + 1u)]
    public async Task DecryptAsync_HeaderFieldOutOfBounds_IsMalformedAndNeverReachesTheKms(Field field, uint value)
    {
        var message = await _encryptor.EncryptAsync(new byte[20], new Dictionary<string, string> { ["tenant"] = "acme" });
        Write(message, field, value);

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.Equal(EnvelopeErrorReason.MalformedMessage, error.Reason);
        Assert.Equal(0, _kms.DecryptCalls);
    }

    [Fact]
    public async Task DecryptAsync_FinalFrameLongerThanFrameLength_IsMalformed()
    {
        var message = await _encryptor.EncryptAsync(new byte[20]);

        // Final frame of 4 bytes: marker, sequence, length at 12 + 4 + 16 bytes from the end.
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(message.Length - (4 + 16 + 4)), 0x7FFF_FFFF);

        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(message));

        Assert.Equal(EnvelopeErrorReason.MalformedMessage, error.Reason);
    }

    [Fact]
    public async Task DecryptAsync_Empty_IsTruncated()
    {
        var error = await Assert.ThrowsAsync<EnvelopeDecryptionException>(() => _encryptor.DecryptAsync(ReadOnlyMemory<byte>.Empty));

        Assert.Equal(EnvelopeErrorReason.Truncated, error.Reason);
    }

    private static void Write(byte[] message, Field field, uint value)
    {
        var contextLength = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(35));
        var keyIdLengthAt = 37 + contextLength + 2;
        var keyIdLength = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(keyIdLengthAt));
        var wrappedLengthAt = keyIdLengthAt + 2 + keyIdLength;
        var wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(wrappedLengthAt));
        var contentTypeAt = wrappedLengthAt + 2 + wrappedLength;
        var span = message.AsSpan();
        switch (field)
        {
            case Field.FormatVersion: span[0] = (byte)value; break;
            case Field.Suite: BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value); break;
            case Field.ContextLength: BinaryPrimitives.WriteUInt16BigEndian(span[35..], (ushort)value); break;
            case Field.DataKeyCount: BinaryPrimitives.WriteUInt16BigEndian(span[(37 + contextLength)..], (ushort)value); break;
            case Field.KeyIdLength: BinaryPrimitives.WriteUInt16BigEndian(span[keyIdLengthAt..], (ushort)value); break;
            case Field.WrappedKeyLength: BinaryPrimitives.WriteUInt16BigEndian(span[wrappedLengthAt..], (ushort)value); break;
            case Field.ContentType: span[contentTypeAt] = (byte)value; break;
            case Field.FrameLength: BinaryPrimitives.WriteUInt32BigEndian(span[(contentTypeAt + 1)..], value); break;
        }
    }
}
