using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// The PKCS#11 calls of the connector's single-part operations on a rented session: <see cref="SinglePartCalls"/>
/// where the platform allows it, else <see cref="HighLevelCalls"/>. A connection picks one when it opens
/// (<see cref="TokenConnection.Calls"/>), so the operations themselves have one path.
/// </summary>
internal interface IOperationCalls
{
    /// <summary>AES-GCM encryption: encrypted data followed by the tag.</summary>
    byte[] EncryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data);

    /// <summary>AES-GCM decryption of encrypted data followed by the tag; a Pkcs11Exception when the tag does not verify.</summary>
    byte[] DecryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data);

    /// <summary>A signature (or MAC) with a mechanism that takes no parameters, such as CKM_ECDSA or CKM_SHA256_HMAC, of the given length.</summary>
    byte[] Sign(ISession session, IObjectHandle key, CKM mechanismType, byte[] data, int signatureLength);
}

/// <summary>
/// Pkcs11Interop's high-level calls: the module is asked for the output length first and the mechanism parameters are
/// copied to unmanaged memory per call. For platforms without <see cref="SinglePartCalls"/> (CK_ULONG of 4 bytes).
/// </summary>
internal sealed class HighLevelCalls : IOperationCalls
{
    public static HighLevelCalls Instance { get; } = new();

    public byte[] EncryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data)
    {
        using var parameters = session.Factories.MechanismParamsFactory.CreateCkGcmParams(iv.ToArray(), (ulong)iv.Length * 8, aad.ToArray(),
            (ulong)tagBytes * 8);
        using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
        return session.Encrypt(mechanism, key, data);
    }

    public byte[] DecryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data)
    {
        using var parameters = session.Factories.MechanismParamsFactory.CreateCkGcmParams(iv.ToArray(), (ulong)iv.Length * 8, aad.ToArray(),
            (ulong)tagBytes * 8);
        using var mechanism = session.Factories.MechanismFactory.Create(CKM.CKM_AES_GCM, parameters);
        return session.Decrypt(mechanism, key, data);
    }

    public byte[] Sign(ISession session, IObjectHandle key, CKM mechanismType, byte[] data, int signatureLength)
    {
        using var mechanism = session.Factories.MechanismFactory.Create(mechanismType);
        return session.Sign(mechanism, key, data);
    }
}
