using System.Security.Cryptography;
using Kms.Client.Envelope.Internal;

namespace Kms.Client.Envelope;

/// <summary>
/// What one message is encrypted with: the data key (plaintext and wrapped) and the encryption context. The instance
/// owns <see cref="DataKey"/>'s plaintext and zeroes it on dispose; a materials manager hands out a fresh instance per
/// message, so disposing one never disturbs another message or a cache.
/// </summary>
public sealed class EncryptionMaterials : IDisposable
{
    public EncryptionMaterials(EnvelopeAlgorithmSuite suite, IReadOnlyDictionary<string, string> encryptionContext, KmsDataKey dataKey)
    {
        ArgumentNullException.ThrowIfNull(encryptionContext);
        ArgumentNullException.ThrowIfNull(dataKey);
        Suite = suite;
        EncryptionContext = encryptionContext;
        DataKey = dataKey;
    }

    public EnvelopeAlgorithmSuite Suite { get; }

    public IReadOnlyDictionary<string, string> EncryptionContext { get; }

    /// <summary>The data key; <see cref="KmsDataKey.KeyId"/> and <see cref="KmsDataKey.Ciphertext"/> go into the header.</summary>
    public KmsDataKey DataKey { get; }

    /// <summary>A shared content key and this message's number under it (a caching manager's hit); null: derive one.</summary>
    internal ContentKeyLease? ContentKeyLease { get; init; }

    public void Dispose() => CryptographicOperations.ZeroMemory(DataKey.Plaintext);
}
