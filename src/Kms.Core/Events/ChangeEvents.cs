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

    public IReadOnlyList<KmsEvent> Key(string type, KeyRecord key, Actor? actor = null) =>
        One(actor, (principal, request, now) => KmsEventFactory.ForKey(type, key, principal, request, now));

    public IReadOnlyList<KmsEvent> Version(string type, KeyRecord key, KeyVersionRecord version, Actor? actor = null) =>
        One(actor, (principal, request, now) => KmsEventFactory.ForVersion(type, key, version, principal, request, now));

    /// <summary>A rotation: the new version exists (KeyVersionCreated), then it is primary (KeyRotated).</summary>
    public IReadOnlyList<KmsEvent> Rotation(KeyRecord rotatedKey, int previousPrimary, KeyVersionRecord newVersion) =>
        [.. Version(KmsEventTypes.KeyVersionCreated, rotatedKey, newVersion), .. Rotated(rotatedKey, previousPrimary)];

    /// <summary>The primary version moved (KeyRotated).</summary>
    public IReadOnlyList<KmsEvent> Rotated(KeyRecord rotatedKey, int previousPrimary, Actor? actor = null) =>
        One(actor, (principal, request, now) => KmsEventFactory.KeyRotated(rotatedKey, previousPrimary, principal, request, now));

    /// <summary>A rotation was abandoned and rolled back: the version it made is disabled, the primary is unchanged.</summary>
    public IReadOnlyList<KmsEvent> RotationFailed(KeyRecord key, KeyVersionRecord version, string reason, Actor actor) =>
        One(actor, (principal, request, now) => KmsEventFactory.RotationFailed(key, version, reason, principal, request, now));

    /// <summary>An emergency revocation withdrew the version (KeyVersionRevoked).</summary>
    public IReadOnlyList<KmsEvent> Revoked(KeyRecord key, KeyVersionRecord version, string reason, string operationId, Actor actor) =>
        One(actor, (principal, request, now) => KmsEventFactory.VersionRevoked(key, version, reason, operationId, principal, request, now));

    public IReadOnlyList<KmsEvent> Policy(string keyId, string document) =>
        One(null, (principal, request, now) => KmsEventFactory.PolicyChanged(keyId, document, principal, request, now));

    /// <summary>The event made by <paramref name="create"/> for the actor (or the current caller), now; none when events are off.</summary>
    private IReadOnlyList<KmsEvent> One(Actor? actor, Func<string, string?, DateTimeOffset, KmsEvent> create)
    {
        if (!_enabled)
        {
            return [];
        }

        var (principal, request) = Who(actor);
        return [create(principal, request, _time.GetUtcNow())];
    }

    private (string Principal, string? RequestId) Who(Actor? actor) =>
        actor is null ? (_access.Principal, _access.RequestId) : (actor.Principal, actor.RequestId);
}
