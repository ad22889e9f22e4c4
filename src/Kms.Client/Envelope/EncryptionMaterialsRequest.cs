namespace Kms.Client.Envelope;

/// <summary>A request for the materials of one message.</summary>
/// <param name="Suite">The algorithm suite the message will use.</param>
/// <param name="EncryptionContext">The message's encryption context (empty when none).</param>
/// <param name="PlaintextLength">The plaintext's length when known in advance; a caching manager needs it to count bytes.</param>
public sealed record EncryptionMaterialsRequest(
    EnvelopeAlgorithmSuite Suite,
    IReadOnlyDictionary<string, string> EncryptionContext,
    long? PlaintextLength);
