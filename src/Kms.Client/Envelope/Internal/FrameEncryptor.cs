using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Writes the message body: regular frames of exactly the frame length, then one final frame of 0 to frame length
/// bytes. It reads one frame ahead, so the last full frame of an input can be marked final without knowing the
/// input's length; memory is two plaintext frames and one output frame whatever the input size.
/// </summary>
internal sealed class FrameEncryptor(MessageCipher cipher, int frameLength)
{
    // Regular: u32 sequence number. Final: u32 0xFFFFFFFF, u32 sequence number, u32 content length.
    private const int RegularPrefixLength = 4;
    private const int FinalPrefixLength = 12;

    public async Task EncryptAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        var current = new byte[frameLength];
        var next = new byte[frameLength];
        var frame = new byte[FinalPrefixLength + frameLength + MessageCipher.TagLength];
        try
        {
            uint sequenceNumber = 1;
            var currentLength = await StreamIo.ReadFullAsync(input, current, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var isFinal = currentLength < frameLength;
                var nextLength = 0;
                if (!isFinal)
                {
                    nextLength = await StreamIo.ReadFullAsync(input, next, cancellationToken).ConfigureAwait(false);
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
                currentLength = nextLength;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(current);
            CryptographicOperations.ZeroMemory(next);
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
