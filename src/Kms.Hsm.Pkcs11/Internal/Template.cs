using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>An attribute template whose unmanaged buffers are freed when it is disposed.</summary>
internal sealed class Template : IDisposable
{
    private readonly IObjectAttributeFactory _factory;

    public Template(IObjectAttributeFactory factory) => _factory = factory;

    public List<IObjectAttribute> Attributes { get; } = [];

    public Template Add(CKA type, bool value) => Add(_factory.Create(type, value));

    public Template Add(CKA type, ulong value) => Add(_factory.Create(type, value));

    public Template Add(CKA type, CKO value) => Add(_factory.Create(type, value));

    public Template Add(CKA type, CKK value) => Add(_factory.Create(type, value));

    public Template Add(CKA type, string value) => Add(_factory.Create(type, value));

    public Template Add(CKA type, byte[] value) => Add(_factory.Create(type, value));

    public void Dispose()
    {
        foreach (var attribute in Attributes)
        {
            attribute.Dispose();
        }

        Attributes.Clear();
    }

    private Template Add(IObjectAttribute attribute)
    {
        Attributes.Add(attribute);
        return this;
    }
}

/// <summary>Attributes read from an object; disposes their unmanaged buffers.</summary>
internal sealed class AttributeValues : IDisposable
{
    private readonly List<IObjectAttribute> _values;

    public AttributeValues(ISession session, IObjectHandle handle, params CKA[] types)
    {
        _values = session.GetAttributeValue(handle, [.. types]);
    }

    /// <summary>The value of <paramref name="type"/>, or null when the token refuses to reveal it.</summary>
    public byte[]? Bytes(CKA type) => Find(type) is { CannotBeRead: false } a ? a.GetValueAsByteArray() : null;

    public bool? Bool(CKA type) => Find(type) is { CannotBeRead: false } a ? a.GetValueAsBool() : null;

    public ulong? ULong(CKA type) => Find(type) is { CannotBeRead: false } a ? a.GetValueAsUlong() : null;

    public void Dispose()
    {
        foreach (var value in _values)
        {
            value.Dispose();
        }
    }

    private IObjectAttribute? Find(CKA type) => _values.Find(a => a.Type == (ulong)type);
}
