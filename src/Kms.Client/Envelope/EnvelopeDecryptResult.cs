namespace Kms.Client.Envelope;

/// <summary>What a decrypted message said besides its plaintext.</summary>
/// <param name="EncryptionContext">The message's full encryption context (authenticated, but stored in clear).</param>
/// <param name="KeyId">The KMS key that wrapped the message's data key.</param>
/// <param name="KeyVersion">The version of that key, as the KMS reported when it unwrapped the data key.</param>
public record EnvelopeMessageInfo(IReadOnlyDictionary<string, string> EncryptionContext, string KeyId, int KeyVersion);

/// <summary>A decrypted message. The caller owns <see cref="Plaintext"/> (zero it when it is sensitive).</summary>
public sealed record EnvelopeDecryptResult(byte[] Plaintext, IReadOnlyDictionary<string, string> EncryptionContext, string KeyId, int KeyVersion)
    : EnvelopeMessageInfo(EncryptionContext, KeyId, KeyVersion);
