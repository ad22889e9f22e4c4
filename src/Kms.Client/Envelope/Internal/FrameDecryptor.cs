using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Reads and authenticates the message body frame by frame. Each frame's plaintext reaches the output only after its
/// tag verified; sequence numbers must count up from 1 and the body must end with the final frame and nothing after it,
/// so dropped, reordered, duplicated or truncated frames fail.
/// </summary>
internal sealed class FrameDecryptor(MessageCipher cipher, int frameLength)
{
    public async Task DecryptAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        var field = new byte[4];
        var ciphertext = new byte[frameLength + MessageCipher.TagLength];
        var plaintext = new byte[frameLength];
        try
        {
            uint expectedSequenceNumber = 1;
            while (true)
            {
                var first = await ReadUInt32Async(input, field, cancellationToken).ConfigureAwait(false);
                var isFinal = first == MessageCipher.FinalFrameMarker;
                var sequenceNumber = isFinal ? await ReadUInt32Async(input, field, cancellationToken).ConfigureAwait(false) : first;
                if (sequenceNumber != expectedSequenceNumber)
                {
                    throw new EnvelopeDecryptionException(EnvelopeErrorReason.AuthenticationFailed, "An envelope message frame is out of sequence.");
                }

                var contentLength = frameLength;
                if (isFinal)
                {
                    var announced = await ReadUInt32Async(input, field, cancellationToken).ConfigureAwait(false);
                    if (announced > (uint)frameLength)
                    {
                        throw EnvelopeDecryptionException.Malformed("final frame longer than the frame length");
                    }

                    contentLength = (int)announced;
                }

                var sealedFrame = ciphertext.AsMemory(0, contentLength + MessageCipher.TagLength);
                await StreamIo.ReadExactlyOrTruncatedAsync(input, sealedFrame, cancellationToken).ConfigureAwait(false);
                if (!cipher.TryOpenFrame(
                    sequenceNumber,
                    isFinal,
                    sealedFrame.Span[..contentLength],
                    sealedFrame.Span[contentLength..],
                    plaintext.AsSpan(0, contentLength)))
                {
                    throw new EnvelopeDecryptionException(EnvelopeErrorReason.AuthenticationFailed, "An envelope message frame did not authenticate.");
                }

                await output.WriteAsync(plaintext.AsMemory(0, contentLength), cancellationToken).ConfigureAwait(false);
                if (isFinal)
                {
                    await EnsureEndOfStreamAsync(input, field, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (expectedSequenceNumber == EnvelopeLimits.MaxSequenceNumber)
                {
                    throw EnvelopeDecryptionException.Malformed("too many frames");
                }

                expectedSequenceNumber++;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static async Task<uint> ReadUInt32Async(Stream input, byte[] field, CancellationToken cancellationToken)
    {
        await StreamIo.ReadExactlyOrTruncatedAsync(input, field, cancellationToken).ConfigureAwait(false);
        return BinaryPrimitives.ReadUInt32BigEndian(field);
    }

    private static async Task EnsureEndOfStreamAsync(Stream input, byte[] scratch, CancellationToken cancellationToken)
    {
        if (await input.ReadAsync(scratch.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
        {
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.TrailingData, "Bytes follow the final frame of the envelope message.");
        }
    }
}
