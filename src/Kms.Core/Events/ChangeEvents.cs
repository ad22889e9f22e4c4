using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Events;

/// <summary>
/// The events of the state changes the application services make, stamped with the caller and request; empty when
/// events are off, so the stores write no outbox rows.
/// </summary>
public sealed class ChangeEvents
{
    private readonly bool _enabled;
    private readonly IAccessGuard _access;
    private readonly TimeProvider _time;

    public ChangeEvents(IOptions<KmsEventOptions> options, IAccessGuard access, TimeProvider time)
    {
        _enabled = options.Value.Enabled;
        _access = access;
        _time = time;
    }

    public IReadOnlyList<KmsEvent> Key(string type, KeyRecord key) =>
        _enabled ? [KmsEventFactory.ForKey(type, key, _access.Principal, _access.RequestId, _time.GetUtcNow())] : [];

    public IReadOnlyList<KmsEvent> Version(string type, KeyRecord key, KeyVersionRecord version) =>
        _enabled ? [KmsEventFactory.ForVersion(type, key, version, _access.Principal, _access.RequestId, _time.GetUtcNow())] : [];

    /// <summary>A rotation: the new version exists (KeyVersionCreated), then it is primary (KeyRotated).</summary>
    public IReadOnlyList<KmsEvent> Rotation(KeyRecord rotatedKey, int previousPrimary, KeyVersionRecord newVersion)
    {
        if (!_enabled)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        return
        [
            KmsEventFactory.ForVersion(KmsEventTypes.KeyVersionCreated, rotatedKey, newVersion, _access.Principal, _access.RequestId, now),
            KmsEventFactory.KeyRotated(rotatedKey, previousPrimary, _access.Principal, _access.RequestId, now),
        ];
    }

    public IReadOnlyList<KmsEvent> Policy(string keyId, string document) =>
        _enabled ? [KmsEventFactory.PolicyChanged(keyId, document, _access.Principal, _access.RequestId, _time.GetUtcNow())] : [];
}
