using Kms.Core.Ports;

namespace Kms.Hsm.Pkcs11.Internal;

/// <summary>
/// The root-key administration of a <see cref="Pkcs11Hsm"/>, as the container hands it out. Not disposable on purpose:
/// a container disposes what its factories return, in reverse order of first use, and the connector must live until
/// the services that use it as <see cref="IHsm"/> (the audit log's last signed checkpoint) are gone.
/// </summary>
internal sealed class RootKeysView(Pkcs11Hsm hsm) : IHsmRootKeys
{
    public string GetCurrentRootKeyLabel() => hsm.GetCurrentRootKeyLabel();

    public IReadOnlyList<string> ListRootKeys() => hsm.ListRootKeys();

    public bool EnsureRootKey(string label) => hsm.EnsureRootKey(label);

    public void SetCurrentRootKey(string label) => hsm.SetCurrentRootKey(label);

    public byte[]? RewrapKey(HsmKeyRef key, string newRootKeyLabel) => hsm.RewrapKey(key, newRootKeyLabel);

    public bool CanUnwrap(HsmKeyRef key) => hsm.CanUnwrap(key);

    public bool DestroyRootKey(string label) => hsm.DestroyRootKey(label);
}
