using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Ports;

namespace Kms.Core.Audit;

/// <summary>
/// Signs and verifies chain checkpoints with the audit signing key: an EC P-256 key generated in the HSM
/// on first use, stored wrapped under the root key like every key version, and used only inside the HSM.
/// </summary>
public sealed class AuditSigner
{
    private const string KeyName = "audit-signing-key";
    private readonly IAuditStore _store;
    private readonly IHsm _hsm;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AuditSigningKey? _key;

    public AuditSigner(IAuditStore store, IHsm hsm, TimeProvider time)
    {
        _store = store;
        _hsm = hsm;
        _time = time;
    }

    public async Task<AuditCheckpoint> SignAsync(string chainId, long sequence, string hash, CancellationToken cancellationToken)
    {
        var digest = AuditHashing.CheckpointDigest(chainId, sequence, hash);
        var key = await KeyAsync(create: true, cancellationToken);
        byte[] signature;
        try
        {
            signature = Sign(key!, digest);
        }
        catch (KmsException e) when (e.Code == KmsErrorCodes.HsmUnavailable)
        {
            // A root-key rotation may have rewrapped the key and retired the root our copy names: read it again.
            var stored = await _store.GetSigningKeyAsync(cancellationToken);
            if (stored is null || stored.RootKeyLabel == key!.RootKeyLabel)
            {
                throw;
            }

            _key = stored;
            signature = Sign(stored, digest);
        }

        return new AuditCheckpoint(chainId, sequence, hash, _time.GetUtcNow(), signature);
    }

    private byte[] Sign(AuditSigningKey key, byte[] digest) =>
        _hsm.SignDigest(new HsmKeyRef(KeyName, 1, KeySpec.EcP256, key.WrappedMaterial, key.RootKeyLabel), SigningAlgorithm.EcdsaSha256, digest);

    /// <summary>Verifies with the public key; false when there is no key or the signature does not match.</summary>
    public async Task<bool> VerifyAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        var key = await KeyAsync(create: false, cancellationToken);
        return key is not null && SignatureVerifier.Verify(KeySpec.EcP256, key.PublicKey, SigningAlgorithm.EcdsaSha256,
            AuditHashing.CheckpointDigest(checkpoint.ChainId, checkpoint.Sequence, checkpoint.Hash), checkpoint.Signature);
    }

    private async Task<AuditSigningKey?> KeyAsync(bool create, CancellationToken cancellationToken)
    {
        if (_key is not null)
        {
            return _key;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            _key ??= await _store.GetSigningKeyAsync(cancellationToken);
            if (_key is null && create)
            {
                var material = _hsm.GenerateKey(KeySpec.EcP256);
                // Another instance may have created one first: everyone uses the stored one.
                _key = await _store.CreateSigningKeyAsync(new AuditSigningKey(material.WrappedMaterial, material.PublicKey!, material.RootKeyLabel),
                    cancellationToken);
            }

            return _key;
        }
        finally
        {
            _gate.Release();
        }
    }
}
