using Kms.Core;
using Kms.Core.Services;

namespace Kms.Workflows.Rotation;

/// <summary>What starts a rotation: the key and who asked (authorized when the operation was started).</summary>
/// <param name="Rewrap">Rewrap campaigns to start once the new version is primary; null for none.</param>
public sealed record RotationInput(string KeyId, string RequestedBy, string? RequestId, RewrapAfterRotation? Rewrap = null);

/// <summary>Sources to rewrap onto the new primary after a rotation (every older version), each as its own campaign.</summary>
public sealed record RewrapAfterRotation(Kms.Core.Ports.RewrapSourceSpec[] Sources, bool DisableOldVersions);

/// <summary>The result of a rotation that completed: the new primary and the one it replaced.</summary>
public sealed record RotationOutput(string KeyId, int Version, int PreviousPrimary);

/// <summary>Input of the rotation activities: the key, the operation and who it acts for.</summary>
public sealed record RotationStep(string KeyId, string OperationId, string RequestedBy, string? RequestId, StandbyVersion? Standby = null,
    string? Reason = null)
{
    public StandbyVersion RequireStandby() => Standby ?? throw new InvalidOperationException("This step needs the standby version.");

    [System.Text.Json.Serialization.JsonIgnore]
    public Actor Actor => new(RequestedBy, RequestId);
}
