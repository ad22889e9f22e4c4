using System.Security.Cryptography;
using Kms.Core.Crypto;
using Kms.Core.Ports;

namespace Kms.Core.Services;

/// <summary>The outcome of a canary probe; <see cref="Reason"/> says what failed (never data or key material).</summary>
public sealed record ProbeResult(bool Passed, string? Reason);

/// <summary>
/// A canary round trip through the HSM with one specific version, before it is trusted as primary: encrypt then
/// decrypt, sign then verify with the stored public key, or MAC twice.
/// </summary>
public interface IKeyVersionProbe
{
    ProbeResult Probe(KeyRecord key, KeyVersionRecord version);
}

/// <inheritdoc />
public sealed class KeyVersionProbe : IKeyVersionProbe
{
    private static readonly byte[] ProbeAad = "kms-canary-probe"u8.ToArray();
    private readonly IHsm _hsm;

    public KeyVersionProbe(IHsm hsm) => _hsm = hsm;

    public ProbeResult Probe(KeyRecord key, KeyVersionRecord version)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(version);
        var reference = Envelope.Ref(key, version);
        // Random probe data: nothing a caller sent, nothing worth keeping.
        var sample = RandomNumberGenerator.GetBytes(32);
        return key.Usage switch
        {
            KeyUsage.EncryptDecrypt => ProbeEncryption(reference, sample),
            KeyUsage.SignVerify => ProbeSignature(key, version, reference, sample),
            _ => ProbeMac(reference, sample),
        };
    }

    private ProbeResult ProbeEncryption(HsmKeyRef reference, byte[] sample)
    {
        var iv = RandomNumberGenerator.GetBytes(12);
        var sealedData = _hsm.EncryptAesGcm(reference, iv, ProbeAad, sample);
        var opened = _hsm.DecryptAesGcm(reference, iv, ProbeAad, sealedData);
        return opened.AsSpan().SequenceEqual(sample) ? new ProbeResult(true, null) : new ProbeResult(false, "decrypt did not return what encrypt sealed");
    }

    private ProbeResult ProbeSignature(KeyRecord key, KeyVersionRecord version, HsmKeyRef reference, byte[] sample)
    {
        if (version.PublicKey is null)
        {
            return new ProbeResult(false, "the version has no public key");
        }

        var algorithm = key.Spec switch
        {
            KeySpec.EcP256 => SigningAlgorithm.EcdsaSha256,
            KeySpec.EcP384 => SigningAlgorithm.EcdsaSha384,
            _ => SigningAlgorithm.RsassaPssSha256,
        };
        var digest = algorithm.HashData(sample);
        var signature = _hsm.SignDigest(reference, algorithm, digest);
        return SignatureVerifier.Verify(key.Spec, version.PublicKey, algorithm, digest, signature)
            ? new ProbeResult(true, null)
            : new ProbeResult(false, "the signature did not verify with the version's public key");
    }

    private ProbeResult ProbeMac(HsmKeyRef reference, byte[] sample)
    {
        var first = _hsm.Mac(reference, sample);
        var second = _hsm.Mac(reference, sample);
        return first.Length == 32 && first.AsSpan().SequenceEqual(second)
            ? new ProbeResult(true, null)
            : new ProbeResult(false, "the MAC is not stable or not 32 bytes");
    }
}
