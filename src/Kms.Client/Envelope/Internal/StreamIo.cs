namespace Kms.Client.Envelope.Internal;

internal static class StreamIo
{
    /// <summary>Fills <paramref name="buffer"/> or throws <see cref="EnvelopeErrorReason.Truncated"/> at end of stream.</summary>
    public static async ValueTask ReadExactlyOrTruncatedAsync(Stream input, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read < buffer.Length)
        {
            throw EnvelopeDecryptionException.Truncated();
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the count read.</summary>
    public static ValueTask<int> ReadFullAsync(Stream input, Memory<byte> buffer, CancellationToken cancellationToken) =>
        input.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
}
