namespace Kms.Client.AspNetCore;

/// <summary>
/// Reads a key's current state and its versions' states from the KMS (<c>GET /api/keys/{id}</c> and
/// <c>GET /api/keys/{id}/versions</c>), for <see cref="KmsRevocationPoller"/>.
/// </summary>
public interface IKmsKeyStateSource
{
    /// <summary>The key's state, or null when the KMS does not know the key (404): the poller treats that as unusable.</summary>
    /// <exception cref="Exception">Any failure to ask; the poller logs it and asks again at the next interval.</exception>
    Task<KmsKeyStatus?> GetKeyStatusAsync(string keyId, CancellationToken cancellationToken);
}

/// <summary>A key's state and every version's, as the KMS reports them.</summary>
/// <param name="State"><c>ENABLED</c>, <c>DISABLED</c>, <c>PENDING_DELETION</c> or <c>DESTROYED</c> (see <see cref="KmsStates"/>).</param>
public sealed record KmsKeyStatus(string KeyId, string State, IReadOnlyList<KmsVersionState> Versions);

/// <summary>One version's state.</summary>
/// <param name="State"><c>ENABLED</c>, <c>DISABLED</c>, <c>REVOKED</c> or <c>DESTROYED</c> (see <see cref="KmsStates"/>).</param>
public sealed record KmsVersionState(int Version, string State);

/// <summary>The KMS's state names. Only <see cref="Enabled"/> is usable; any other name, including one a newer KMS adds, is not.</summary>
public static class KmsStates
{
    public const string Enabled = "ENABLED";
    public const string Disabled = "DISABLED";
    public const string PendingDeletion = "PENDING_DELETION";
    public const string Revoked = "REVOKED";
    public const string Destroyed = "DESTROYED";

    /// <summary>Fail safe: an unknown state is treated as not usable, which at worst evicts a cache that did not need it.</summary>
    public static bool IsUsable(string? state) => string.Equals(state, Enabled, StringComparison.Ordinal);
}
