namespace Kms.Client.Envelope;

/// <summary>
/// Supplies the data keys of messages: <see cref="DefaultCryptoMaterialsManager"/> asks the KMS every time,
/// <see cref="CachingCryptoMaterialsManager"/> reuses data keys within limits. Every call returns materials the caller
/// owns and disposes.
/// </summary>
public interface ICryptoMaterialsManager
{
    Task<EncryptionMaterials> GetEncryptionMaterialsAsync(EncryptionMaterialsRequest request, CancellationToken cancellationToken = default);

    Task<DecryptionMaterials> DecryptMaterialsAsync(DecryptionMaterialsRequest request, CancellationToken cancellationToken = default);
}
