using Kms.Client.Envelope.Internal;

namespace Kms.Client.Envelope;

/// <summary>Options of <see cref="EnvelopeEncryptor"/>.</summary>
public sealed class EnvelopeEncryptorOptions
{
    private int _frameLength = EnvelopeLimits.DefaultFrameLength;

    /// <summary>
    /// Plaintext bytes per frame, 1 byte to 1 MiB (default 64 KiB). Decryption holds one frame in memory and releases
    /// a frame's plaintext only once it authenticated, so this is also the granularity of streaming output.
    /// </summary>
    public int FrameLength
    {
        get => _frameLength;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, EnvelopeLimits.MinFrameLength);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, EnvelopeLimits.MaxFrameLength);
            _frameLength = value;
        }
    }
}
