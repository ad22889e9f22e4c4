using System.Globalization;
using Azure;
using Azure.Core;
using Kms.Client.Models;
using Kms.Client.Serialization;

namespace Kms.Client;

// Keys, versions, aliases, deletion and the rotation policy.
public partial class KmsClient
{
    /// <summary><c>POST /api/keys</c>: creates a key (its material is generated in the HSM).</summary>
    public virtual async Task<Response<KmsKey>> CreateKeyAsync(CreateKeyOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new CreateKeyBody(options.KeySpec, options.KeyUsage, options.Alias, options.Description,
            options.Tags.Count > 0 ? options.Tags : null, options.DeletionProtection);
        using var message = CreateMessage(RequestMethod.Post, "keys", body, Json.CreateKeyBody);
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/keys</c>, page by page.</summary>
    public virtual AsyncPageable<KmsKey> GetKeysAsync(CancellationToken cancellationToken = default) =>
        new KmsAsyncPageable<KmsKey>(async (continuationToken, pageSize, ct) =>
        {
            using var message = CreateMessage(RequestMethod.Get, "keys", ("pageSize", PageSize(pageSize)), ("continuationToken", continuationToken));
            var page = await SendAsync(message, Json.KeyPage, async: true, ct).ConfigureAwait(false);
            return Page<KmsKey>.FromValues(page.Value.Keys, page.Value.ContinuationToken, page.GetRawResponse());
        }, cancellationToken);

    /// <summary><c>GET /api/keys/{keyIdOrAlias}</c>: the key with its aliases.</summary>
    public virtual async Task<Response<KmsKey>> GetKeyAsync(string keyIdOrAlias, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, $"keys/{Segment(keyIdOrAlias, nameof(keyIdOrAlias))}");
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual Task<Response<KmsKey>> EnableKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        PostForKeyAsync(keyId, "enable", cancellationToken);

    /// <summary>Refuses every operation with the key at once, until it is enabled.</summary>
    public virtual Task<Response<KmsKey>> DisableKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        PostForKeyAsync(keyId, "disable", cancellationToken);

    /// <summary><c>POST /api/keys/{keyId}/rotate</c>: a new primary version now (for a staged one see <see cref="StartRotationAsync"/>).</summary>
    public virtual async Task<Response<KeyRotationResult>> RotateKeyAsync(string keyId, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyId, nameof(keyId))}/rotate");
        return await SendAsync(message, Json.KeyRotationResult, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>PUT /api/keys/{keyId}/rotation-policy</c>: rotate (staged) every <paramref name="rotationPeriodDays"/> days, or stop with null.</summary>
    public virtual async Task<Response<KmsKey>> SetRotationPolicyAsync(string keyId, int? rotationPeriodDays, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, $"keys/{Segment(keyId, nameof(keyId))}/rotation-policy",
            new RotationPolicyBody(rotationPeriodDays), Json.RotationPolicyBody);
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/keys/{keyId}/versions</c> (not paged: a key has few versions).</summary>
    public virtual async Task<Response<KmsKeyVersionList>> GetKeyVersionsAsync(string keyId, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, $"keys/{Segment(keyId, nameof(keyId))}/versions");
        return await SendAsync(message, Json.KmsKeyVersionList, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual Task<Response<KmsKeyVersion>> EnableKeyVersionAsync(string keyId, int version, CancellationToken cancellationToken = default) =>
        PostForVersionAsync(keyId, version, "enable", cancellationToken);

    public virtual Task<Response<KmsKeyVersion>> DisableKeyVersionAsync(string keyId, int version, CancellationToken cancellationToken = default) =>
        PostForVersionAsync(keyId, version, "disable", cancellationToken);

    /// <summary><c>PUT /api/aliases/{alias}</c>: creates the alias or re-points it to <paramref name="keyId"/>.</summary>
    public virtual async Task<Response<KmsAlias>> SetAliasAsync(string alias, string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        using var message = CreateMessage(RequestMethod.Put, $"aliases/{Segment(alias, nameof(alias))}", new PutAliasBody(keyId), Json.PutAliasBody);
        return await SendAsync(message, Json.KmsAlias, async: true, cancellationToken).ConfigureAwait(false);
    }

    public virtual async Task<Response> DeleteAliasAsync(string alias, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, $"aliases/{Segment(alias, nameof(alias))}");
        return await SendAsync(message, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/keys/{keyId}/schedule-deletion</c>: 7 to 30 days (30 when null), then destruction after approvals.</summary>
    public virtual async Task<Response<KmsKey>> ScheduleKeyDeletionAsync(string keyId, int? waitingDays = null, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyId, nameof(keyId))}/schedule-deletion",
            new ScheduleDeletionBody(waitingDays), Json.ScheduleDeletionBody);
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops a scheduled deletion; the key stays DISABLED until enabled deliberately.</summary>
    public virtual Task<Response<KmsKey>> CancelKeyDeletionAsync(string keyId, CancellationToken cancellationToken = default) =>
        PostForKeyAsync(keyId, "cancel-deletion", cancellationToken);

    public virtual async Task<Response<KmsKey>> SetDeletionProtectionAsync(string keyId, bool enabled, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Put, $"keys/{Segment(keyId, nameof(keyId))}/deletion-protection",
            new DeletionProtectionBody(enabled), Json.DeletionProtectionBody);
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response<KmsKey>> PostForKeyAsync(string keyId, string action, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyId, nameof(keyId))}/{action}");
        return await SendAsync(message, Json.KmsKey, async: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response<KmsKeyVersion>> PostForVersionAsync(string keyId, int version, string action, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        using var message = CreateMessage(RequestMethod.Post,
            $"keys/{Segment(keyId, nameof(keyId))}/versions/{version.ToString(CultureInfo.InvariantCulture)}/{action}");
        return await SendAsync(message, Json.KmsKeyVersion, async: true, cancellationToken).ConfigureAwait(false);
    }

    private static string? PageSize(int? pageSize) => pageSize?.ToString(CultureInfo.InvariantCulture);
}
