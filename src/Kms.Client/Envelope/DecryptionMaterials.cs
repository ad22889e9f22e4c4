using System.Security.Cryptography;

namespace Kms.Client.Envelope;

/// <summary>
/// The unwrapped data key of one message. The instance owns <see cref="DataKey"/>'s plaintext and zeroes it on dispose.
/// </summary>
public sealed class DecryptionMaterials : IDisposable
{
    public DecryptionMaterials(EnvelopeAlgorithmSuite suite, KmsDataKey dataKey)
    {
        ArgumentNullException.ThrowIfNull(dataKey);
        Suite = suite;
        DataKey = dataKey;
    }

    public EnvelopeAlgorithmSuite Suite { get; }

    /// <summary>The data key as the KMS unwrapped it; <see cref="KmsDataKey.KeyId"/> is the key the KMS says opened it.</summary>
    public KmsDataKey DataKey { get; }

    public void Dispose() => CryptographicOperations.ZeroMemory(DataKey.Plaintext);
}
