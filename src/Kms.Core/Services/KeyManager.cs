using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Internal;
using Kms.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Core.Services;

/// <summary>Request to create a key. <see cref="Usage"/> defaults to the one the spec supports.</summary>
public sealed record CreateKeyCommand(
    KeySpec Spec,
    KeyUsage? Usage = null,
    string? Alias = null,
    string? Description = null,
    IReadOnlyDictionary<string, string>? Tags = null,
    bool DeletionProtection = false);

/// <summary>A key with the aliases that point at it.</summary>
public sealed record KeyDescription(KeyRecord Key, IReadOnlyList<string> Aliases);

/// <summary>
/// Key lifecycle: create, read, enable/disable, rotate, version state, aliases. Every write is conditional
/// on the stored ETag; state toggles retry a lost race a few times, rotation does not (a second rotation
/// racing the first must not silently produce two new versions).
/// </summary>
public sealed partial class KeyManager
{
    public const int MaxDescriptionLength = 1024;
    public const int MaxTags = 50;
    public const int MaxDeletionWaitingDays = 30;

    private readonly IKeyStore _keys;
    private readonly IAliasStore _aliases;
    private readonly IHsm _hsm;
    private readonly IAccessGuard _access;
    private readonly KeyCatalog _catalog;
    private readonly ChangeEvents _events;
    private readonly TimeProvider _time;
    private readonly KmsOptions _options;
    private readonly ILogger<KeyManager> _logger;

    public KeyManager(IKeyStore keys, IAliasStore aliases, IHsm hsm, IAccessGuard access, KeyCatalog catalog, ChangeEvents events,
        TimeProvider time, IOptions<KmsOptions> options, ILogger<KeyManager> logger)
    {
        _keys = keys;
        _aliases = aliases;
        _hsm = hsm;
        _access = access;
        _catalog = catalog;
        _events = events;
        _time = time;
        _options = options.Value;
        _logger = logger;
    }

    public async Task<KeyDescription> CreateKeyAsync(CreateKeyCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        await _access.DemandAsync(KmsActions.CreateKey, null, null, cancellationToken);
        var usage = command.Usage ?? command.Spec.DefaultUsage();
        if (usage != command.Spec.DefaultUsage())
        {
            throw KmsErrors.Validation(
                $"keySpec {KeySpecNames.ToWire(command.Spec)} supports keyUsage {KeyUsageNames.ToWire(command.Spec.DefaultUsage())} only.");
        }

        if (command.Description is { Length: > MaxDescriptionLength })
        {
            throw KmsErrors.Validation($"'description' is longer than {MaxDescriptionLength} characters.");
        }

        var tags = ValidateTags(command.Tags);
        if (command.Alias is not null)
        {
            KeyIdentifiers.ValidateAlias(command.Alias);
            if (await _aliases.GetAliasAsync(command.Alias, cancellationToken) is not null)
            {
                throw KmsErrors.AliasAlreadyExists(command.Alias);
            }
        }

        var material = _hsm.GenerateKey(command.Spec);
        var now = _time.GetUtcNow();
        var keyId = KeyIdentifiers.NewKeyId();
        var key = new KeyRecord(keyId, command.Spec, usage, KeyState.Enabled, 1, 1, command.Description, tags, now, now,
            DeletionProtection: command.DeletionProtection);
        var version = KeyVersions.FromMaterial(keyId, 1, material, now);
        key = await _keys.CreateKeyAsync(key, version, _events.Key(KmsEventTypes.KeyCreated, key), cancellationToken);
        LogKeyCreated(keyId, KeySpecNames.ToWire(command.Spec));

        var aliases = new List<string>();
        if (command.Alias is not null)
        {
            // The key exists even if the alias loses a race for its name; the caller learns it from the error
            // and can name the key later. A key is never rolled back once its material is stored.
            await _aliases.CreateAliasAsync(new AliasRecord(command.Alias, keyId, now, now), cancellationToken);
            aliases.Add(command.Alias);
        }

        return new KeyDescription(key, aliases);
    }

    public async Task<KeyDescription> DescribeKeyAsync(string keyIdOrAlias, CancellationToken cancellationToken)
    {
        var key = KeyIdentifiers.TryParseKeyId(keyIdOrAlias, out var keyId)
            ? await _keys.GetKeyAsync(keyId, cancellationToken) ?? throw KmsErrors.KeyNotFound(keyIdOrAlias)
            : await _catalog.ResolveAsync(keyIdOrAlias, cancellationToken);
        await _access.DemandAsync(KmsActions.DescribeKey, key.KeyId, null, cancellationToken);
        var aliases = await _aliases.ListAliasesForKeyAsync(key.KeyId, cancellationToken);
        return new KeyDescription(key, aliases.Select(a => a.Name).Order(StringComparer.Ordinal).ToArray());
    }

    public async Task<Page<KeyRecord>> ListKeysAsync(int? pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ListKeys, null, null, cancellationToken);
        var size = pageSize ?? _options.DefaultPageSize;
        if (size < 1 || size > _options.MaxPageSize)
        {
            throw KmsErrors.Validation($"'pageSize' must be between 1 and {_options.MaxPageSize}.");
        }

        return await _keys.ListKeysAsync(size, continuationToken, cancellationToken);
    }

    public Task<KeyRecord> SetKeyStateAsync(string keyId, KeyState state, CancellationToken cancellationToken)
    {
        if (state == KeyState.PendingDeletion)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "Use ScheduleDeletionAsync.");
        }

        return ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, state == KeyState.Enabled ? KmsActions.EnableKey : KmsActions.DisableKey, cancellationToken);
            RequireNotDestroyed(key);
            if (key.State == KeyState.PendingDeletion)
            {
                throw KmsErrors.KeyPendingDeletion(key.KeyId);
            }

            if (key.State == state)
            {
                return key;
            }

            var changed = key with { State = state, UpdatedAt = _time.GetUtcNow() };
            var updated = await _keys.UpdateKeyAsync(changed,
                _events.Key(state == KeyState.Enabled ? KmsEventTypes.KeyEnabled : KmsEventTypes.KeyDisabled, changed), cancellationToken);
            ForgetKey(key.KeyId);
            LogKeyStateChanged(key.KeyId, state.ToString());
            return updated;
        });
    }

    /// <summary>
    /// Schedules the key's destruction after <paramref name="waitingDays"/> (7 to 30). The key refuses every use
    /// from now on; cancelling leaves it disabled. Refused while deletion protection is on.
    /// </summary>
    public Task<KeyRecord> ScheduleDeletionAsync(string keyId, int? waitingDays, CancellationToken cancellationToken)
    {
        var days = waitingDays ?? MaxDeletionWaitingDays;
        if (days < _options.MinDeletionWaitingDays || days > MaxDeletionWaitingDays)
        {
            throw KmsErrors.Validation($"'waitingDays' must be between {_options.MinDeletionWaitingDays} and {MaxDeletionWaitingDays}.");
        }

        return ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, KmsActions.ScheduleKeyDeletion, cancellationToken);
            RequireNotDestroyed(key);
            if (key.DeletionProtection)
            {
                throw KmsErrors.DeletionProtected(key.KeyId);
            }

            if (key.State == KeyState.PendingDeletion)
            {
                return key;
            }

            var now = _time.GetUtcNow();
            var changed = key with
            {
                // Whole seconds: the date names the deletion's operation, and must read back from storage exactly as written.
                State = KeyState.PendingDeletion, DeletionDate = WholeSeconds(now.AddDays(days)), DeletionRequestedBy = _access.Principal, UpdatedAt = now,
            };
            var updated = await _keys.UpdateKeyAsync(changed, _events.Key(KmsEventTypes.KeyDeletionScheduled, changed), cancellationToken);
            ForgetKey(key.KeyId);
            LogKeyStateChanged(key.KeyId, KeyState.PendingDeletion.ToString());
            return updated;
        });
    }

    /// <summary>Cancels a scheduled deletion; the key becomes Disabled (enable it deliberately to use it again).</summary>
    public Task<KeyRecord> CancelDeletionAsync(string keyId, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, KmsActions.CancelKeyDeletion, cancellationToken);
            if (key.State != KeyState.PendingDeletion)
            {
                throw KmsErrors.Validation($"Key '{key.KeyId}' is not pending deletion.");
            }

            var changed = key with { State = KeyState.Disabled, DeletionDate = null, DeletionRequestedBy = null, UpdatedAt = _time.GetUtcNow() };
            var updated = await _keys.UpdateKeyAsync(changed, _events.Key(KmsEventTypes.KeyDeletionCanceled, changed), cancellationToken);
            ForgetKey(key.KeyId);
            LogKeyStateChanged(key.KeyId, KeyState.Disabled.ToString());
            return updated;
        });

    public Task<KeyRecord> SetDeletionProtectionAsync(string keyId, bool enabled, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, KmsActions.SetDeletionProtection, cancellationToken);
            if (key.DeletionProtection == enabled)
            {
                return key;
            }

            var updated = await _keys.UpdateKeyAsync(key with { DeletionProtection = enabled, UpdatedAt = _time.GetUtcNow() }, cancellationToken);
            _catalog.Invalidate(key.KeyId);
            return updated;
        });

    public const int MaxRotationPeriodDays = 3650;

    /// <summary>
    /// Sets the automatic rotation period (1 to 3650 days; null turns it off). The first scheduled rotation is one
    /// period from now; every rotation, scheduled or not, moves the next one a period after it.
    /// </summary>
    public Task<KeyRecord> SetRotationPeriodAsync(string keyId, int? days, CancellationToken cancellationToken)
    {
        if (days is < 1 or > MaxRotationPeriodDays)
        {
            throw KmsErrors.Validation($"'rotationPeriodDays' must be between 1 and {MaxRotationPeriodDays}, or null to stop automatic rotation.");
        }

        return ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, KmsActions.RotateKey, cancellationToken);
            RequireNotDestroyed(key);
            if (key.RotationPeriodDays == days)
            {
                return key;
            }

            var now = _time.GetUtcNow();
            var updated = await _keys.UpdateKeyAsync(
                key with { RotationPeriodDays = days, NextRotationAt = days is { } d ? now.AddDays(d) : null, UpdatedAt = now }, cancellationToken);
            _catalog.Invalidate(key.KeyId);
            return updated;
        });
    }

    /// <summary>Creates a new version in the HSM and makes it primary; a concurrent rotation loses with ConcurrentModification.</summary>
    public async Task<(KeyRecord Key, KeyVersionRecord Version)> RotateAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, KmsActions.RotateKey, cancellationToken);
        RequireNotDestroyed(key);
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.KeyPendingDeletion(key.KeyId);
        }

        var material = _hsm.GenerateKey(key.Spec);
        var now = _time.GetUtcNow();
        var number = key.LatestVersion + 1;
        var version = KeyVersions.FromMaterial(key.KeyId, number, material, now);
        var rotated = (key with { PrimaryVersion = number, LatestVersion = number, UpdatedAt = now }).RotatedAt(now);
        var result = await _keys.AddVersionAsync(rotated, version, _events.Rotation(rotated, key.PrimaryVersion, version), cancellationToken);
        _catalog.Invalidate(key.KeyId);
        LogKeyRotated(key.KeyId, number);
        return result;
    }

    /// <summary>The key (for its primary version) and all its versions, oldest first.</summary>
    public async Task<(KeyRecord Key, IReadOnlyList<KeyVersionRecord> Versions)> ListVersionsAsync(string keyId, CancellationToken cancellationToken)
    {
        var key = await RequireKeyAsync(keyId, KmsActions.ListKeyVersions, cancellationToken);
        return (key, await _keys.ListVersionsAsync(key.KeyId, cancellationToken));
    }

    /// <summary>Enables or disables one version; returns it with the key it belongs to (for its primary version).</summary>
    public Task<(KeyRecord Key, KeyVersionRecord Version)> SetVersionStateAsync(string keyId, int version, KeyVersionState state, CancellationToken cancellationToken) =>
        ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId,
                state == KeyVersionState.Enabled ? KmsActions.EnableKeyVersion : KmsActions.DisableKeyVersion, cancellationToken);
            var record = await _keys.GetVersionAsync(key.KeyId, version, cancellationToken) ?? throw KmsErrors.KeyVersionNotFound(key.KeyId, version);
            if (record.IsWithdrawn)
            {
                // A revoked or destroyed version never comes back, and disabling it would hide why it is refused.
                throw KmsErrors.VersionNotUsable(key.KeyId, record);
            }

            if (record.State == state)
            {
                return (key, record);
            }

            var changed = record with { State = state, StateChangedAt = _time.GetUtcNow() };
            var updated = await _keys.UpdateVersionAsync(changed,
                _events.Version(state == KeyVersionState.Enabled ? KmsEventTypes.KeyVersionEnabled : KmsEventTypes.KeyVersionDisabled, key, changed),
                cancellationToken);
            ForgetKey(key.KeyId, version);
            LogVersionStateChanged(key.KeyId, version, state.ToString());
            return (key, updated);
        });

    /// <summary>Creates the alias or re-points it; returns the alias and whether it was created.</summary>
    public Task<(AliasRecord Alias, bool Created)> SetAliasAsync(string alias, string keyId, CancellationToken cancellationToken)
    {
        KeyIdentifiers.ValidateAlias(alias);
        return ConflictRetry.RunAsync(async () =>
        {
            var key = await RequireKeyAsync(keyId, KmsActions.PutAlias, cancellationToken);
            var now = _time.GetUtcNow();
            var existing = await _aliases.GetAliasAsync(alias, cancellationToken);
            if (existing is not null && existing.KeyId != key.KeyId)
            {
                // Re-pointing takes the alias away from its current key: the caller needs the right on both.
                await _access.DemandAsync(KmsActions.PutAlias, existing.KeyId, null, cancellationToken);
            }

            (AliasRecord, bool) result;
            if (existing is null)
            {
                try
                {
                    result = (await _aliases.CreateAliasAsync(new AliasRecord(alias, key.KeyId, now, now), cancellationToken), true);
                }
                catch (KmsException e) when (e.Code == KmsErrorCodes.AliasAlreadyExists)
                {
                    // Created by someone else between our read and write: treat as a lost race and re-read.
                    throw KmsErrors.ConcurrentModification($"Alias '{alias}'");
                }
            }
            else
            {
                result = (await _aliases.UpdateAliasAsync(existing with { KeyId = key.KeyId, UpdatedAt = now }, cancellationToken), false);
            }

            _catalog.InvalidateAlias(alias);
            return result;
        });
    }

    public async Task DeleteAliasAsync(string alias, CancellationToken cancellationToken)
    {
        KeyIdentifiers.ValidateAlias(alias);
        var existing = await _aliases.GetAliasAsync(alias, cancellationToken) ?? throw KmsErrors.AliasNotFound(alias);
        await _access.DemandAsync(KmsActions.DeleteAlias, existing.KeyId, null, cancellationToken);
        if (!await _aliases.DeleteAliasAsync(alias, cancellationToken))
        {
            throw KmsErrors.AliasNotFound(alias);
        }

        _catalog.InvalidateAlias(alias);
    }

    /// <summary>Reads the key fresh from the store (admin paths never act on cached state) and authorizes the action on it.</summary>
    private async Task<KeyRecord> RequireKeyAsync(string keyId, string action, CancellationToken cancellationToken)
    {
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(action, key.KeyId, null, cancellationToken);
        return key;
    }

    private static DateTimeOffset WholeSeconds(DateTimeOffset time) => new(time.Ticks - time.Ticks % TimeSpan.TicksPerSecond, time.Offset);

    private static void RequireNotDestroyed(KeyRecord key)
    {
        if (key.State == KeyState.Destroyed)
        {
            throw KmsErrors.KeyDestroyed(key.KeyId);
        }
    }

    /// <summary>Drops cached metadata and unwrapped HSM handles so a disabled key stops working at once.</summary>
    private void ForgetKey(string keyId, int? version = null)
    {
        _catalog.Invalidate(keyId);
        _hsm.Evict(keyId, version);
    }

    private static Dictionary<string, string> ValidateTags(IReadOnlyDictionary<string, string>? tags)
    {
        if (tags is null)
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        if (tags.Count > MaxTags)
        {
            throw KmsErrors.Validation($"A key has at most {MaxTags} tags.");
        }

        foreach (var (name, value) in tags)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Length > 128 || value is null || value.Length > 256)
            {
                throw KmsErrors.Validation("Tag names are 1 to 128 characters and tag values are strings of at most 256 characters.");
            }
        }

        return new Dictionary<string, string>(tags, StringComparer.Ordinal);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Created key {KeyId} ({KeySpec})")]
    private partial void LogKeyCreated(string keyId, string keySpec);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Key {KeyId} is now {State}")]
    private partial void LogKeyStateChanged(string keyId, string state);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "Rotated key {KeyId}; primary version is now {Version}")]
    private partial void LogKeyRotated(string keyId, int version);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Version {Version} of key {KeyId} is now {State}")]
    private partial void LogVersionStateChanged(string keyId, int version, string state);
}
