using Kms.Core.Ports;

namespace Kms.Core.Crypto;

/// <summary>Sealing and opening the ciphertext format with one key version in the HSM: the one place that does it.</summary>
internal static class Envelope
{
    public static HsmKeyRef Ref(KeyRecord key, KeyVersionRecord version) =>
        new(key.KeyId, version.Version, key.Spec, version.WrappedMaterial, version.RootKeyLabel);

    public static byte[] Seal(IHsm hsm, KeyRecord key, KeyVersionRecord version, ReadOnlySpan<byte> plaintext, EncryptionContext context)
    {
        Span<byte> header = stackalloc byte[Ciphertext.HeaderLength];
        Ciphertext.WriteHeader(header, Guid.Parse(key.KeyId), version.Version);
        Span<byte> iv = stackalloc byte[Ciphertext.IvLength];
        // 96-bit random IVs from the OS CSPRNG: unique with overwhelming probability well past the
        // number of encryptions one version sees between rotations (NIST SP 800-38D, 8.2.2).
        BufferedRandom.Fill(iv);
        var sealedData = hsm.EncryptAesGcm(Ref(key, version), iv, Ciphertext.BuildAad(header, context), plaintext);
        return Ciphertext.Assemble(header, iv, sealedData);
    }

    /// <summary>The plaintext; InvalidCiphertext when the tag does not verify (tampered, or another context).</summary>
    public static byte[] Open(IHsm hsm, KeyRecord key, KeyVersionRecord version, Ciphertext ciphertext, EncryptionContext context) =>
        hsm.DecryptAesGcm(Ref(key, version), ciphertext.Iv.Span, Ciphertext.BuildAad(ciphertext.Header.Span, context),
            ciphertext.EncryptedDataAndTag.Span);
}
