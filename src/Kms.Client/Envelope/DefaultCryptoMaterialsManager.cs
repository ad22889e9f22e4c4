using System.Runtime.ExceptionServices;

namespace Kms.Client.Envelope;

/// <summary>Asks the KMS for a new data key for every message and unwraps every message's data key through the KMS.</summary>
public sealed class DefaultCryptoMaterialsManager : ICryptoMaterialsManager
{
    private readonly KmsKeyring _keyring;

    public DefaultCryptoMaterialsManager(KmsKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        _keyring = keyring;
    }

    public async Task<EncryptionMaterials> GetEncryptionMaterialsAsync(EncryptionMaterialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureSupported(request.Suite);
        var dataKey = await _keyring.GenerateDataKeyAsync(request.EncryptionContext, cancellationToken).ConfigureAwait(false);
        return new EncryptionMaterials(request.Suite, request.EncryptionContext, dataKey);
    }

    public async Task<DecryptionMaterials> DecryptMaterialsAsync(DecryptionMaterialsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        EnsureSupported(request.Suite);
        if (request.EncryptedDataKeys.Count == 0)
        {
            throw EnvelopeDecryptionException.Malformed("no encrypted data key");
        }

        // The first data key the KMS opens wins; if none opens, the first failure is the most telling.
        ExceptionDispatchInfo? firstFailure = null;
        foreach (var encryptedDataKey in request.EncryptedDataKeys)
        {
            try
            {
                var dataKey = await _keyring.DecryptDataKeyAsync(encryptedDataKey, request.EncryptionContext, cancellationToken).ConfigureAwait(false);
                return new DecryptionMaterials(request.Suite, dataKey);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                firstFailure ??= ExceptionDispatchInfo.Capture(ex);
            }
        }

        firstFailure!.Throw();
        throw new InvalidOperationException("Unreachable.");
    }

    internal static void EnsureSupported(EnvelopeAlgorithmSuite suite)
    {
        if (suite != EnvelopeAlgorithmSuite.Aes256GcmHkdfSha256)
        {
            throw new NotSupportedException($"Algorithm suite 0x{(ushort)suite:x4} is not supported.");
        }
    }
}
