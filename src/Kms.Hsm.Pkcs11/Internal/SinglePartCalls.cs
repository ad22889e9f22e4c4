using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using LowLevel = Net.Pkcs11Interop.LowLevelAPI80;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// Single-part encrypt, decrypt and sign with the output buffer sized by the caller: one C_*Init and one C_* call.
/// <para>
/// Why: Pkcs11Interop's high-level <c>ISession.Encrypt</c>, <c>Decrypt</c> and <c>Sign</c> first ask the module for
/// the output length (the same C_* call without a buffer) and then call again, and copy the mechanism's parameters
/// to freshly allocated unmanaged memory each time. On SoftHSM2 every call into the module takes its session and
/// handle locks and a fork check (a getpid system call), so the length question costs a third of an AES-GCM
/// operation's calls. Here the output size is known (GCM adds its tag, a signature's length follows from the key),
/// the GCM parameters live on the stack and the arrays are pinned for the call.
/// </para>
/// <para>
/// The same session and object handles as the high-level API, through the module's own function list: the module is
/// initialised once by <see cref="Pkcs11Runtime"/>. Only for modules with Pkcs11Interop's LowLevelAPI80 layout
/// (8-byte CK_ULONG, natural packing: 64-bit Linux and macOS); elsewhere <see cref="TryLoad"/> gives null and the
/// connector keeps the high-level calls. A wrong size guess is not an error: the module answers
/// CKR_BUFFER_TOO_SMALL with the length it needs, the operation stays active (PKCS#11 5.2), and the call is repeated
/// once with that length.
/// </para>
/// </summary>
internal sealed unsafe class SinglePartCalls
{
    private readonly LowLevel.Pkcs11Library _module;

    private SinglePartCalls(LowLevel.Pkcs11Library module) => _module = module;

    /// <summary>The module's single-part calls, or null when this platform's CK_ULONG layout is not LowLevelAPI80's.</summary>
    public static SinglePartCalls? TryLoad(string libraryPath) =>
        Platform.NativeULongSize == 8 && Platform.StructPackingSize == 0 ? new SinglePartCalls(new LowLevel.Pkcs11Library(libraryPath)) : null;

    /// <summary>AES-GCM encryption of <paramref name="data"/>: encrypted data followed by the tag.</summary>
    public byte[] EncryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data,
        int? outputLength = null) =>
        Gcm(encrypt: true, session, key, iv, aad, tagBytes, data, outputLength ?? data.Length + tagBytes);

    /// <summary>AES-GCM decryption of encrypted data followed by the tag; a Pkcs11Exception from C_Decrypt when the tag does not verify.</summary>
    public byte[] DecryptGcm(ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data,
        int? outputLength = null) =>
        // The plaintext is the input less the tag; a module may ask for room for the whole input first.
        Gcm(encrypt: false, session, key, iv, aad, tagBytes, data, outputLength ?? data.Length);

    /// <summary>A signature (or MAC) with a mechanism that takes no parameters, such as CKM_ECDSA or CKM_SHA256_HMAC.</summary>
    public byte[] Sign(ISession session, IObjectHandle key, CKM mechanismType, byte[] data, int signatureLength)
    {
        var mechanism = Mechanism(mechanismType, null, 0);
        Check(_module.C_SignInit(session.SessionId, ref mechanism, key.ObjectId), "C_SignInit");
        return Finish(signatureLength, (byte[] output, ref ulong length) =>
            _module.C_Sign(session.SessionId, data, (ulong)data.Length, output, ref length), "C_Sign");
    }

    private byte[] Gcm(bool encrypt, ISession session, IObjectHandle key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, int tagBytes, byte[] data,
        int outputLength)
    {
        var id = session.SessionId;
        fixed (byte* ivPointer = iv)
        fixed (byte* aadPointer = aad)
        {
            var parameters = GcmParameters(ivPointer, iv.Length, aadPointer, aad.Length, tagBytes);
            var mechanism = Mechanism(CKM.CKM_AES_GCM, &parameters, sizeof(LowLevel.MechanismParams.CK_GCM_PARAMS));
            Check(encrypt ? _module.C_EncryptInit(id, ref mechanism, key.ObjectId) : _module.C_DecryptInit(id, ref mechanism, key.ObjectId),
                encrypt ? "C_EncryptInit" : "C_DecryptInit");
        }

        return encrypt
            ? Finish(outputLength, (byte[] output, ref ulong length) => _module.C_Encrypt(id, data, (ulong)data.Length, output, ref length), "C_Encrypt")
            : Finish(outputLength, (byte[] output, ref ulong length) => _module.C_Decrypt(id, data, (ulong)data.Length, output, ref length), "C_Decrypt");
    }

    private delegate CKR Call(byte[] output, ref ulong length);

    /// <summary>Runs the operation's final call into a buffer of <paramref name="guess"/> bytes, once more if the module wants more.</summary>
    private static byte[] Finish(int guess, Call call, string name)
    {
        var output = new byte[guess];
        var length = (ulong)output.Length;
        var rv = call(output, ref length);
        if (rv == CKR.CKR_BUFFER_TOO_SMALL)
        {
            output = new byte[checked((int)length)];
            rv = call(output, ref length);
        }

        if (rv != CKR.CKR_OK)
        {
            // A failed decryption may have left unverified plaintext in the buffer.
            Array.Clear(output);
            Check(rv, name);
        }

        var written = checked((int)length);
        if (written == output.Length)
        {
            return output;
        }

        // Shorter than the room given (a decryption's tag): return the written part and clear the rest of the buffer.
        var result = output.AsSpan(0, written).ToArray();
        Array.Clear(output);
        return result;
    }

    private static LowLevel.MechanismParams.CK_GCM_PARAMS GcmParameters(byte* iv, int ivLength, byte* aad, int aadLength, int tagBytes) => new()
    {
        Iv = (IntPtr)iv,
        IvLen = (ulong)ivLength,
        IvBits = (ulong)ivLength * 8,
        AAD = (IntPtr)aad,
        AADLen = (ulong)aadLength,
        TagBits = (ulong)tagBytes * 8,
    };

    private static LowLevel.CK_MECHANISM Mechanism(CKM type, void* parameters, int parametersLength) => new()
    {
        Mechanism = (ulong)type,
        Parameter = (IntPtr)parameters,
        ParameterLen = (ulong)parametersLength,
    };

    private static void Check(CKR rv, string function)
    {
        if (rv != CKR.CKR_OK)
        {
            throw new Pkcs11Exception(function, rv);
        }
    }
}
