using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Events;

/// <summary>
/// The events of the state changes the application services make, stamped with the caller and request (the current
/// request's, or an explicit <see cref="Actor"/> for orchestration steps); empty when events are off, so the stores
/// write no outbox rows.
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

    public IReadOnlyList<KmsEvent> Key(string type, KeyRecord key, Actor? actor = null)
    {
        if (!_enabled)
        {
            return [];
        }

        var (principal, request) = Who(actor);
        return [KmsEventFactory.ForKey(type, key, principal, request, _time.GetUtcNow())];
    }

    public IReadOnlyList<KmsEvent> Version(string type, KeyRecord key, KeyVersionRecord version, Actor? actor = null)
    {
        if (!_enabled)
        {
            return [];
        }

        var (principal, request) = Who(actor);
        return [KmsEventFactory.ForVersion(type, key, version, principal, request, _time.GetUtcNow())];
    }

    /// <summary>A rotation: the new version exists (KeyVersionCreated), then it is primary (KeyRotated).</summary>
    public IReadOnlyList<KmsEvent> Rotation(KeyRecord rotatedKey, int previousPrimary, KeyVersionRecord newVersion) =>
        [.. Version(KmsEventTypes.KeyVersionCreated, rotatedKey, newVersion), .. Rotated(rotatedKey, previousPrimary)];

    /// <summary>The primary version moved (KeyRotated).</summary>
    public IReadOnlyList<KmsEvent> Rotated(KeyRecord rotatedKey, int previousPrimary, Actor? actor = null)
    {
        if (!_enabled)
        {
            return [];
        }

        var (principal, request) = Who(actor);
        return [KmsEventFactory.KeyRotated(rotatedKey, previousPrimary, principal, request, _time.GetUtcNow())];
    }

    /// <summary>A rotation was abandoned and rolled back: the version it made is disabled, the primary is unchanged.</summary>
    public IReadOnlyList<KmsEvent> RotationFailed(KeyRecord key, KeyVersionRecord version, string reason, Actor actor) =>
        _enabled ? [KmsEventFactory.RotationFailed(key, version, reason, actor.Principal, actor.RequestId, _time.GetUtcNow())] : [];

    public IReadOnlyList<KmsEvent> Policy(string keyId, string document)
    {
        if (!_enabled)
        {
            return [];
        }

        var (principal, request) = Who(null);
        return [KmsEventFactory.PolicyChanged(keyId, document, principal, request, _time.GetUtcNow())];
    }

    private (string Principal, string? RequestId) Who(Actor? actor) =>
        actor is null ? (_access.Principal, _access.RequestId) : (actor.Principal, actor.RequestId);
}
