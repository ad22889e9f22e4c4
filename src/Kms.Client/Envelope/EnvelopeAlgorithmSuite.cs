namespace Kms.Client.Envelope;

/// <summary>The algorithms of an envelope message; the id is written in the header as a big-endian u16.</summary>
public enum EnvelopeAlgorithmSuite : ushort
{
    /// <summary>
    /// AES-256-GCM (96-bit nonce, 128-bit tag) over framed content, with a per-message content key derived from the
    /// 256-bit data key by HKDF-SHA256 salted with the message id. No signature, no key commitment.
    /// </summary>
    Aes256GcmHkdfSha256 = 0x0001,
}
