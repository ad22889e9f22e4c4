namespace Kms.Client.Envelope;

/// <summary>A request for the materials of one message.</summary>
/// <param name="Suite">The algorithm suite the message will use.</param>
/// <param name="EncryptionContext">The message's encryption context (empty when none).</param>
/// <param name="PlaintextLength">The plaintext's length when known in advance; a caching manager needs it to count bytes.</param>
public sealed record EncryptionMaterialsRequest(
    EnvelopeAlgorithmSuite Suite,
    IReadOnlyDictionary<string, string> EncryptionContext,
    long? PlaintextLength)
{
    /// <summary>
    /// The canonical bytes the encryptor already computed, with the dictionary they encode; a caching manager uses them
    /// only while <see cref="EncryptionContext"/> is still that very dictionary (a <c>with</c> copy that swapped the
    /// context must not reuse them).
    /// </summary>
    internal (IReadOnlyDictionary<string, string> Of, byte[] Bytes)? KnownCanonicalContext { get; init; }

    internal byte[] GetCanonicalContext() =>
        KnownCanonicalContext is { } known && ReferenceEquals(known.Of, EncryptionContext)
            ? known.Bytes
            : Internal.CanonicalEncryptionContext.Encode(EncryptionContext);
}
