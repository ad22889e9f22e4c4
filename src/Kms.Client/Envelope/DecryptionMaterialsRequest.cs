namespace Kms.Client.Envelope;

/// <summary>A request to unwrap the data key of one message, from its header.</summary>
/// <param name="Suite">The message's algorithm suite.</param>
/// <param name="EncryptedDataKeys">The header's encrypted data keys (one in format version 1).</param>
/// <param name="EncryptionContext">The message's encryption context, which the KMS checks against the wrapped key.</param>
public sealed record DecryptionMaterialsRequest(
    EnvelopeAlgorithmSuite Suite,
    IReadOnlyList<EncryptedDataKey> EncryptedDataKeys,
    IReadOnlyDictionary<string, string> EncryptionContext);
