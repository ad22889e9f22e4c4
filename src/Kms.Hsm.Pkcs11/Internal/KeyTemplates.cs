using Kms.Core;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>Object templates for generating, unwrapping and creating keys; each grants only the uses its key needs.</summary>
internal static class KeyTemplates
{
    // DER OIDs for CKA_EC_PARAMS: prime256v1 (1.2.840.10045.3.1.7) and secp384r1 (1.3.132.0.34).
    private static readonly byte[] P256Params = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] P384Params = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];
    private static readonly byte[] Rsa65537 = [0x01, 0x00, 0x01];

    public static byte[] EcParams(KeySpec spec) => spec switch
    {
        KeySpec.EcP256 => P256Params,
        KeySpec.EcP384 => P384Params,
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "Not an EC key spec."),
    };

    /// <summary>
    /// A secret key to generate: a session object, sensitive, and extractable only so that it can be
    /// wrapped under the root key right after.
    /// </summary>
    public static Template SecretKeyToGenerate(IObjectAttributeFactory factory, KeySpec spec)
    {
        var template = new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY)
            .Add(CKA.CKA_TOKEN, false)
            .Add(CKA.CKA_PRIVATE, true)
            .Add(CKA.CKA_SENSITIVE, true)
            .Add(CKA.CKA_EXTRACTABLE, true)
            .Add(CKA.CKA_VALUE_LEN, 32UL)
            .Add(CKA.CKA_WRAP, false)
            .Add(CKA.CKA_UNWRAP, false)
            .Add(CKA.CKA_DERIVE, false);
        return AddSecretUsage(template, spec);
    }

    public static Template PublicKeyToGenerate(IObjectAttributeFactory factory, KeySpec spec)
    {
        var template = new Template(factory)
            .Add(CKA.CKA_TOKEN, false)
            .Add(CKA.CKA_PRIVATE, false)
            .Add(CKA.CKA_VERIFY, true)
            .Add(CKA.CKA_ENCRYPT, false)
            .Add(CKA.CKA_WRAP, false);
        return spec.IsRsa()
            ? template.Add(CKA.CKA_MODULUS_BITS, (ulong)spec.RsaBits()).Add(CKA.CKA_PUBLIC_EXPONENT, Rsa65537)
            : template.Add(CKA.CKA_EC_PARAMS, EcParams(spec));
    }

    public static Template PrivateKeyToGenerate(IObjectAttributeFactory factory) =>
        new Template(factory)
            .Add(CKA.CKA_TOKEN, false)
            .Add(CKA.CKA_PRIVATE, true)
            .Add(CKA.CKA_SENSITIVE, true)
            .Add(CKA.CKA_EXTRACTABLE, true)
            .Add(CKA.CKA_SIGN, true)
            .Add(CKA.CKA_DECRYPT, false)
            .Add(CKA.CKA_UNWRAP, false)
            .Add(CKA.CKA_DERIVE, false);

    /// <summary>
    /// A key version unwrapped for use: a session object that is sensitive and can never be wrapped again.
    /// No CKA_VALUE_LEN (the blob fixes it; SoftHSM answers CKR_ATTRIBUTE_READ_ONLY); class and type are
    /// given because private keys come back as PKCS#8 and secrets as raw bytes.
    /// </summary>
    /// <param name="extractable">Only for root-key rotation: a temporary object that is wrapped under the new root
    /// and destroyed at once.</param>
    public static Template KeyToUnwrap(IObjectAttributeFactory factory, KeySpec spec, bool extractable = false)
    {
        var template = new Template(factory)
            .Add(CKA.CKA_TOKEN, false)
            .Add(CKA.CKA_PRIVATE, true)
            .Add(CKA.CKA_SENSITIVE, true)
            .Add(CKA.CKA_EXTRACTABLE, extractable);
        if (spec.IsSymmetric())
        {
            template.Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY).Add(CKA.CKA_WRAP, false).Add(CKA.CKA_UNWRAP, false).Add(CKA.CKA_DERIVE, false);
            return AddSecretUsage(template, spec);
        }

        return template
            .Add(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY)
            .Add(CKA.CKA_KEY_TYPE, spec.IsRsa() ? CKK.CKK_RSA : CKK.CKK_EC)
            .Add(CKA.CKA_SIGN, true)
            .Add(CKA.CKA_DECRYPT, false)
            .Add(CKA.CKA_UNWRAP, false)
            .Add(CKA.CKA_DERIVE, false);
    }

    /// <summary>The root wrapping key: a private token object that never leaves the HSM and does nothing but wrap and unwrap.</summary>
    public static Template RootKey(IObjectAttributeFactory factory, string label) =>
        new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY)
            .Add(CKA.CKA_KEY_TYPE, CKK.CKK_AES)
            .Add(CKA.CKA_VALUE_LEN, 32UL)
            .Add(CKA.CKA_LABEL, label)
            .Add(CKA.CKA_TOKEN, true)
            .Add(CKA.CKA_PRIVATE, true)
            .Add(CKA.CKA_SENSITIVE, true)
            .Add(CKA.CKA_EXTRACTABLE, false)
            .Add(CKA.CKA_WRAP, true)
            .Add(CKA.CKA_UNWRAP, true)
            .Add(CKA.CKA_ENCRYPT, false)
            .Add(CKA.CKA_DECRYPT, false)
            .Add(CKA.CKA_SIGN, false)
            .Add(CKA.CKA_VERIFY, false)
            .Add(CKA.CKA_DERIVE, false);

    /// <summary>Search template for root keys with a label.</summary>
    public static Template RootKeySearch(IObjectAttributeFactory factory, string label) =>
        new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY)
            .Add(CKA.CKA_TOKEN, true)
            .Add(CKA.CKA_LABEL, label);

    /// <summary>
    /// The pointer to the current root: a private data object on the token, labelled <c>{base root label}.current</c>,
    /// whose value is the current root's label (UTF-8). Kept in the HSM so that every process using the token agrees.
    /// </summary>
    public static Template CurrentRootPointer(IObjectAttributeFactory factory, string baseRootLabel, RootPointer pointer) =>
        new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_DATA)
            .Add(CKA.CKA_TOKEN, true)
            .Add(CKA.CKA_PRIVATE, true)
            .Add(CKA.CKA_MODIFIABLE, true)
            .Add(CKA.CKA_LABEL, PointerLabel(baseRootLabel))
            .Add(CKA.CKA_APPLICATION, "kms")
            .Add(CKA.CKA_VALUE, pointer.Encode());

    public static Template CurrentRootPointerSearch(IObjectAttributeFactory factory, string baseRootLabel) =>
        new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_DATA)
            .Add(CKA.CKA_TOKEN, true)
            .Add(CKA.CKA_LABEL, PointerLabel(baseRootLabel));

    /// <summary>Every secret key stored on the token (root keys among them).</summary>
    public static Template TokenSecretKeys(IObjectAttributeFactory factory) =>
        new Template(factory)
            .Add(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY)
            .Add(CKA.CKA_TOKEN, true);

    private static string PointerLabel(string baseRootLabel) => baseRootLabel + ".current";

    private static Template AddSecretUsage(Template template, KeySpec spec) => spec switch
    {
        KeySpec.Aes256 => template
            .Add(CKA.CKA_KEY_TYPE, CKK.CKK_AES)
            .Add(CKA.CKA_ENCRYPT, true)
            .Add(CKA.CKA_DECRYPT, true)
            .Add(CKA.CKA_SIGN, false)
            .Add(CKA.CKA_VERIFY, false),
        KeySpec.HmacSha256 => template
            .Add(CKA.CKA_KEY_TYPE, CKK.CKK_GENERIC_SECRET)
            .Add(CKA.CKA_SIGN, true)
            .Add(CKA.CKA_VERIFY, true)
            .Add(CKA.CKA_ENCRYPT, false)
            .Add(CKA.CKA_DECRYPT, false),
        _ => throw new ArgumentOutOfRangeException(nameof(spec), spec, "Not a secret key spec."),
    };
}
