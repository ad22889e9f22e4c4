using System.Security.Cryptography;
using Kms.Client.Envelope.Internal;

namespace Kms.Client.Envelope;

/// <summary>
/// Generates and unwraps data keys through the KMS under one key id or alias, and checks what the KMS answers before
/// anything uses it.
/// </summary>
public sealed class KmsKeyring
{
    private readonly IKmsDataKeyProvider _provider;

    public KmsKeyring(IKmsDataKeyProvider provider, string keyIdOrAlias)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyIdOrAlias);
        _provider = provider;
        KeyIdOrAlias = keyIdOrAlias;
    }

    /// <summary>The key new data keys are generated under. An alias is resolved by the KMS on every generate call.</summary>
    public string KeyIdOrAlias { get; }

    /// <summary>Generates a 256-bit data key bound to <paramref name="encryptionContext"/>; the caller owns its plaintext.</summary>
    public async Task<KmsDataKey> GenerateDataKeyAsync(IReadOnlyDictionary<string, string> encryptionContext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encryptionContext);
        var dataKey = await _provider.GenerateDataKeyAsync(KeyIdOrAlias, encryptionContext, cancellationToken).ConfigureAwait(false);
        if (dataKey.Plaintext is not { Length: MessageCipher.DataKeyLength }
            || string.IsNullOrEmpty(dataKey.KeyId)
            || dataKey.Ciphertext is not { Length: > 0 })
        {
            if (dataKey.Plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(dataKey.Plaintext);
            }

            throw new InvalidOperationException("The KMS returned a data key that is not a 256-bit key with a key id and a wrapped form.");
        }

        return dataKey;
    }

    /// <summary>
    /// Unwraps <paramref name="encryptedDataKey"/> through the KMS and checks the KMS opened it with the key the header
    /// names; the caller owns the plaintext of the answer.
    /// </summary>
    public async Task<KmsDataKey> DecryptDataKeyAsync(EncryptedDataKey encryptedDataKey, IReadOnlyDictionary<string, string> encryptionContext, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encryptedDataKey);
        ArgumentNullException.ThrowIfNull(encryptionContext);
        var dataKey = await _provider.DecryptDataKeyAsync(encryptedDataKey.Ciphertext, encryptionContext, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(dataKey.KeyId, encryptedDataKey.KeyId, StringComparison.Ordinal))
        {
            // The header's key id is authenticated only by the key it names; a KMS answer from another key means the
            // header and the wrapped key disagree, so nothing decrypted with it can be attributed to the header's key.
            Zero(dataKey);
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.KeyIdMismatch, "The KMS unwrapped the data key with another key than the message header names.");
        }

        if (dataKey.Plaintext is not { Length: MessageCipher.DataKeyLength })
        {
            Zero(dataKey);
            throw new EnvelopeDecryptionException(EnvelopeErrorReason.InvalidDataKey, "The KMS returned a data key that is not 256 bits long.");
        }

        return dataKey;
    }

    private static void Zero(KmsDataKey dataKey)
    {
        if (dataKey.Plaintext is not null)
        {
            CryptographicOperations.ZeroMemory(dataKey.Plaintext);
        }
    }
}
