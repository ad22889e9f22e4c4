namespace Kms.Client.Tests.Envelope.Fakes;

/// <summary>
/// Answers with one fixed data key and fixed opaque wrapped bytes: the test vectors' KMS. Every answer is a fresh copy,
/// because the envelope layer zeroes the data keys it is handed.
/// </summary>
internal sealed class FixedDataKeyProvider(string keyId, int version, byte[] dataKey, byte[] wrappedDataKey) : IKmsDataKeyProvider
{
    public Task<KmsDataKey> GenerateDataKeyAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default) =>
        Task.FromResult(new KmsDataKey(keyId, version, (byte[])dataKey.Clone(), (byte[])wrappedDataKey.Clone()));

    public Task<KmsDataKey> DecryptDataKeyAsync(byte[] presented, IReadOnlyDictionary<string, string>? context, CancellationToken cancellationToken = default) =>
        presented.AsSpan().SequenceEqual(wrappedDataKey)
            ? Task.FromResult(new KmsDataKey(keyId, version, (byte[])dataKey.Clone(), (byte[])wrappedDataKey.Clone()))
            : throw new System.Security.Cryptography.CryptographicException("InvalidCiphertext");
}
