namespace Kms.Client.Envelope;

/// <summary>A data key as the message header stores it: the KMS key that wrapped it and the KMS's opaque wrapped bytes.</summary>
/// <param name="KeyId">The KMS key's canonical id (never an alias), as the KMS reported it when it generated the key.</param>
/// <param name="Ciphertext">The KMS's wrapped data key, passed back to the KMS unchanged to decrypt.</param>
public sealed record EncryptedDataKey(string KeyId, byte[] Ciphertext);
