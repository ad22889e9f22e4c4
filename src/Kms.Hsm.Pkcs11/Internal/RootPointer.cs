using System.Globalization;
using System.Text;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// The token object that names the current root key. A data object's CKA_VALUE cannot be changed once it exists
/// (SoftHSM2 answers CKR_ATTRIBUTE_READ_ONLY even with CKA_MODIFIABLE), so a switch creates a pointer of the next
/// generation and then destroys the older ones. A crash between the two steps leaves two pointers; readers take the
/// highest generation, so the switch is atomic at the create. Pointers written before generations existed hold the
/// bare label and count as generation 0.
/// </summary>
internal readonly record struct RootPointer(string Label, long Generation)
{
    public byte[] Encode() => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"g{Generation}:{Label}"));

    public static RootPointer? Decode(byte[]? value)
    {
        if (value is not { Length: > 0 })
        {
            return null;
        }

        var text = Encoding.UTF8.GetString(value);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (text.StartsWith('g') && colon > 1 && colon < text.Length - 1
            && long.TryParse(text.AsSpan(1, colon - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
        {
            return new RootPointer(text[(colon + 1)..], generation);
        }

        return new RootPointer(text, 0);
    }

    /// <summary>Every pointer object of the root family on the token, with what it says.</summary>
    public static List<(IObjectHandle Handle, RootPointer Pointer)> ReadAll(ISession session, string baseRootLabel)
    {
        using var search = KeyTemplates.CurrentRootPointerSearch(session.Factories.ObjectAttributeFactory, baseRootLabel);
        var pointers = new List<(IObjectHandle, RootPointer)>();
        foreach (var handle in session.FindAllObjects(search.Attributes))
        {
            using var value = new AttributeValues(session, handle, CKA.CKA_VALUE);
            if (Decode(value.Bytes(CKA.CKA_VALUE)) is { } pointer)
            {
                pointers.Add((handle, pointer));
            }
        }

        return pointers;
    }

    /// <summary>The pointer of the highest generation, or null when the token has none (no root rotation ever ran).</summary>
    public static RootPointer? ReadCurrent(ISession session, string baseRootLabel) =>
        ReadAll(session, baseRootLabel) is { Count: > 0 } all ? all.MaxBy(p => p.Pointer.Generation).Pointer : null;
}
