using Kms.Core;
using Kms.Core.Ports;
using Kms.Core.Services;

namespace Kms.Api.Contracts;

internal static class Mapping
{
    public static KeyResponse ToResponse(this KeyRecord key, IReadOnlyList<string>? aliases = null) =>
        new(key.KeyId, KeySpecNames.ToWire(key.Spec), KeyUsageNames.ToWire(key.Usage), ToWire(key.State), key.PrimaryVersion,
            key.LatestVersion, key.Description, key.Tags, aliases, key.CreatedAt, key.UpdatedAt, key.DeletionProtection, key.DeletionDate,
            key.RotationPeriodDays, key.NextRotationAt);

    public static KeyResponse ToResponse(this KeyDescription description) => description.Key.ToResponse(description.Aliases);

    public static KeyVersionResponse ToResponse(this KeyVersionRecord version, int primaryVersion) =>
        new(version.KeyId, version.Version, ToWire(version.State), version.Version == primaryVersion, version.CreatedAt, version.StateChangedAt);

    public static AliasResponse ToResponse(this AliasRecord alias) => new(alias.Name, alias.KeyId, alias.CreatedAt, alias.UpdatedAt);

    public static string ToWire(KeyState state) => KeyStateNames.ToWire(state);

    public static RoleAssignmentResponse ToResponse(this RoleAssignment assignment) =>
        new(assignment.Id, assignment.Principal, assignment.Role, assignment.Scope, assignment.CreatedBy, assignment.CreatedAt);

    public static string ToWire(KeyVersionState state) => KeyVersionStateNames.ToWire(state);
}
