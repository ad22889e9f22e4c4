using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Writes the message body: regular frames of exactly the frame length, then one final frame of 0 to frame length
/// bytes. It reads one frame ahead, so the last full frame of an input can be marked final without knowing the
/// input's length; memory is two plaintext frames and one output frame whatever the input size. A plaintext in memory
/// is sealed in place instead (<see cref="EncryptAll"/>), with the same frames.
/// </summary>
internal sealed class FrameEncryptor(MessageCipher cipher, int frameLength)
{
    // Regular: u32 sequence number. Final: u32 0xFFFFFFFF, u32 sequence number, u32 content length.
    private const int RegularPrefixLength = 4;
    private const int FinalPrefixLength = 12;

    /// <summary>
    /// The body's size for <paramref name="plaintextLength"/> bytes: the frames <see cref="EncryptAsync"/> writes for a
    /// stream of that length (regular frames, then a final frame of 1 to frame length bytes; an empty plaintext has
    /// one empty final frame).
    /// </summary>
    public static long BodyLength(long plaintextLength, int frameLength)
    {
        var regularFrames = plaintextLength == 0 ? 0 : (plaintextLength - 1) / frameLength;
        var finalLength = plaintextLength - (regularFrames * frameLength);
        return (regularFrames * (RegularPrefixLength + frameLength + MessageCipher.TagLength)) + FinalPrefixLength + finalLength + MessageCipher.TagLength;
    }

    /// <summary>
    /// Seals a plaintext held in memory straight into <paramref name="destination"/> (exactly
    /// <see cref="BodyLength"/> bytes): the same frames as <see cref="EncryptAsync"/>, with no buffer in between.
    /// </summary>
    public void EncryptAll(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        uint sequenceNumber = 1;
        while (true)
        {
            var isFinal = plaintext.Length <= frameLength;
            var content = isFinal ? plaintext : plaintext[..frameLength];
            destination = destination[Seal(sequenceNumber, isFinal, content, destination)..];
            if (isFinal)
            {
                return;
            }

            if (sequenceNumber == EnvelopeLimits.MaxSequenceNumber)
            {
                throw new InvalidOperationException("The plaintext needs more frames than a message can hold; use a larger frame length.");
            }

            plaintext = plaintext[frameLength..];
            sequenceNumber++;
        }
    }

    public async Task EncryptAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        // Pooled: a frame is up to 1 MiB and a message of a few bytes should not allocate (and zero) three of them.
        // The plaintext buffers are zeroed up to what was read into them before they go back to the pool.
        var current = ArrayPool<byte>.Shared.Rent(frameLength);
        var next = ArrayPool<byte>.Shared.Rent(frameLength);
        var frame = ArrayPool<byte>.Shared.Rent(FinalPrefixLength + frameLength + MessageCipher.TagLength);
        int currentUsed = 0, nextUsed = 0;
        try
        {
            uint sequenceNumber = 1;
            var currentLength = await StreamIo.ReadFullAsync(input, current.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
            currentUsed = currentLength;
            while (true)
            {
                var isFinal = currentLength < frameLength;
                var nextLength = 0;
                if (!isFinal)
                {
                    nextLength = await StreamIo.ReadFullAsync(input, next.AsMemory(0, frameLength), cancellationToken).ConfigureAwait(false);
                    nextUsed = Math.Max(nextUsed, nextLength);
                    isFinal = nextLength == 0;
                }

                var written = Seal(sequenceNumber, isFinal, current.AsSpan(0, currentLength), frame);
                await output.WriteAsync(frame.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
                if (isFinal)
                {
                    return;
                }

                if (sequenceNumber == EnvelopeLimits.MaxSequenceNumber)
                {
                    throw new InvalidOperationException("The plaintext needs more frames than a message can hold; use a larger frame length.");
                }

                sequenceNumber++;
                (current, next) = (next, current);
                (currentUsed, nextUsed) = (nextUsed, currentUsed);
                currentLength = nextLength;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current.AsSpan(0, currentUsed));
            CryptographicOperations.ZeroMemory(next.AsSpan(0, nextUsed));
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private int Seal(uint sequenceNumber, bool isFinal, ReadOnlySpan<byte> plaintext, Span<byte> frame)
    {
        int prefixLength;
        if (isFinal)
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, MessageCipher.FinalFrameMarker);
            BinaryPrimitives.WriteUInt32BigEndian(frame[4..], sequenceNumber);
            BinaryPrimitives.WriteUInt32BigEndian(frame[8..], (uint)plaintext.Length);
            prefixLength = FinalPrefixLength;
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(frame, sequenceNumber);
            prefixLength = RegularPrefixLength;
        }

        var ciphertext = frame.Slice(prefixLength, plaintext.Length);
        var tag = frame.Slice(prefixLength + plaintext.Length, MessageCipher.TagLength);
        cipher.SealFrame(sequenceNumber, isFinal, plaintext, ciphertext, tag);
        return prefixLength + plaintext.Length + MessageCipher.TagLength;
    }
}
