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
    /// The canonical bytes of <see cref="CanonicalContextOf"/>, which the encryptor computed already; a caching manager
    /// uses them only while <see cref="EncryptionContext"/> is still that very dictionary (a <c>with</c> copy that
    /// swapped the context must not reuse them).
    /// </summary>
    internal byte[]? CanonicalContext { get; init; }

    internal IReadOnlyDictionary<string, string>? CanonicalContextOf { get; init; }

    internal byte[] GetCanonicalContext() =>
        CanonicalContext is not null && ReferenceEquals(CanonicalContextOf, EncryptionContext)
            ? CanonicalContext
            : Internal.CanonicalEncryptionContext.Encode(EncryptionContext);
}
