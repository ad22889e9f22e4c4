using System.Security.Cryptography;

namespace Kms.Client.Envelope;

/// <summary>
/// A message could not be decrypted. The message never contains plaintext, key bytes or context values; the
/// <see cref="Reason"/> says which check failed.
/// </summary>
public sealed class EnvelopeDecryptionException : CryptographicException
{
    public EnvelopeDecryptionException(EnvelopeErrorReason reason, string message)
        : base(message) => Reason = reason;

    public EnvelopeDecryptionException(EnvelopeErrorReason reason, string message, Exception innerException)
        : base(message, innerException) => Reason = reason;

    public EnvelopeErrorReason Reason { get; }

    internal static EnvelopeDecryptionException Malformed(string what) =>
        new(EnvelopeErrorReason.MalformedMessage, $"The envelope message is malformed: {what}.");

    internal static EnvelopeDecryptionException Truncated() =>
        new(EnvelopeErrorReason.Truncated, "The envelope message ends before its final frame.");
}
