namespace Kms.Client.Envelope.Internal;

/// <summary>
/// Bounds on every length field, checked before anything is allocated, so a hostile message costs at most a few
/// KiB of header and one frame of memory.
/// </summary>
internal static class EnvelopeLimits
{
    // The KMS itself takes at most 64 pairs / 8 KiB of canonical context; a larger context could never be wrapped.
    public const int MaxContextPairs = 64;
    public const int MaxCanonicalContextBytes = 8 * 1024;

    public const int MaxKeyIdBytes = 256;

    // The KMS's wrapped 256-bit data key is 82 bytes; the bound leaves room for other formats without inviting abuse.
    public const int MaxWrappedDataKeyBytes = 4 * 1024;

    public const int MaxEncryptedDataKeys = 1;

    public const int MinFrameLength = 1;
    public const int MaxFrameLength = 1024 * 1024;
    public const int DefaultFrameLength = 64 * 1024;

    // Sequence numbers are u32 and 0xFFFFFFFF marks the final frame; 0 is the header's nonce.
    public const uint MaxSequenceNumber = 0xFFFF_FFFE;
}
