using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Kms.Core;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// Mapping between the domain records and table rows. The layout is described on <see cref="TableKeyStore"/>,
/// <see cref="TableAliasStore"/>, <see cref="TableKeyPolicyStore"/>, <see cref="TableRoleAssignmentStore"/>;
/// property names here are the stored names and must not change.
/// </summary>
internal static partial class Entities
{
    public const string KeyRowKey = "key";
    public const string AliasRowKey = "alias";

    // All version rows share the "v" prefix, so "RowKey ge 'v' and RowKey lt 'w'" selects exactly the versions
    // ("key" sorts before them), in version order thanks to the zero padding.
    public const string VersionRowKeyPrefix = "v";
    public const string VersionRowKeyEnd = "w";

    public const string Spec = nameof(Spec);
    public const string Usage = nameof(Usage);
    public const string State = nameof(State);
    public const string PrimaryVersion = nameof(PrimaryVersion);
    public const string LatestVersion = nameof(LatestVersion);
    public const string Description = nameof(Description);
    public const string Tags = nameof(Tags);
    public const string CreatedAt = nameof(CreatedAt);
    public const string UpdatedAt = nameof(UpdatedAt);
    public const string Version = nameof(Version);
    public const string WrappedMaterial = nameof(WrappedMaterial);
    public const string PublicKey = nameof(PublicKey);
    public const string RootKeyLabel = nameof(RootKeyLabel);
    public const string StateChangedAt = nameof(StateChangedAt);
    public const string RevokedBy = nameof(RevokedBy);
    public const string KeyId = nameof(KeyId);
    public const string DeletionProtection = nameof(DeletionProtection);
    public const string DeletionDate = nameof(DeletionDate);
    public const string RotationPeriodDays = nameof(RotationPeriodDays);
    public const string NextRotationAt = nameof(NextRotationAt);
    public const string DeletionRequestedBy = nameof(DeletionRequestedBy);

    /// <summary>"v" and the version zero-padded to 10 digits (int.MaxValue has 10), e.g. v0000000001.</summary>
    public static string VersionRowKey(int version) =>
        VersionRowKeyPrefix + version.ToString("D10", CultureInfo.InvariantCulture);

    /// <summary>
    /// Characters Azure Tables refuses in PartitionKey/RowKey. Ids that contain them name no stored row, so reads
    /// answer "not found" instead of sending a request the service would reject with 400.
    /// </summary>
    public static bool IsStorableKey(string value) =>
        value.Length is > 0 and <= 512 && !value.Any(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c));

    public static void RequireStorableKey(string value, string paramName)
    {
        if (!IsStorableKey(value))
        {
            throw new ArgumentException("The value cannot be used as a table key (empty, too long, or contains / \\ # ? or control characters).", paramName);
        }
    }

    public static TableEntity ToEntity(KeyRecord key)
    {
        var entity = new TableEntity(key.KeyId, KeyRowKey)
        {
            [Spec] = key.Spec.ToString(),
            [Usage] = key.Usage.ToString(),
            [State] = key.State.ToString(),
            [PrimaryVersion] = key.PrimaryVersion,
            [LatestVersion] = key.LatestVersion,
            [Tags] = JsonSerializer.Serialize(new Dictionary<string, string>(key.Tags, StringComparer.Ordinal), TagsJsonContext.Default.DictionaryStringString),
            [CreatedAt] = key.CreatedAt,
            [UpdatedAt] = key.UpdatedAt,
            [DeletionProtection] = key.DeletionProtection,
        };
        if (key.Description is not null)
        {
            entity[Description] = key.Description;
        }

        if (key.DeletionDate is { } deletionDate)
        {
            entity[DeletionDate] = deletionDate;
        }

        if (key.DeletionRequestedBy is not null)
        {
            entity[DeletionRequestedBy] = key.DeletionRequestedBy;
        }

        if (key.RotationPeriodDays is { } period)
        {
            entity[RotationPeriodDays] = period;
            entity[NextRotationAt] = key.NextRotationAt;
        }

        return entity;
    }

    public static KeyRecord ToKey(TableEntity entity)
    {
        var tagsJson = Required(entity, Tags, entity.GetString(Tags));
        Dictionary<string, string>? tags;
        try
        {
            tags = JsonSerializer.Deserialize(tagsJson, TagsJsonContext.Default.DictionaryStringString);
        }
        catch (JsonException e)
        {
            throw Unreadable(entity, Tags, e);
        }

        return new KeyRecord(
            entity.PartitionKey,
            ParseEnum<KeySpec>(entity, Spec),
            ParseEnum<KeyUsage>(entity, Usage),
            ParseEnum<KeyState>(entity, State),
            Required(entity, PrimaryVersion, entity.GetInt32(PrimaryVersion)),
            Required(entity, LatestVersion, entity.GetInt32(LatestVersion)),
            entity.GetString(Description),
            new Dictionary<string, string>(tags ?? [], StringComparer.Ordinal),
            Required(entity, CreatedAt, entity.GetDateTimeOffset(CreatedAt)),
            Required(entity, UpdatedAt, entity.GetDateTimeOffset(UpdatedAt)),
            entity.ETag.ToString(),
            // Rows written before deletion scheduling existed have neither property: unprotected, not scheduled.
            entity.GetBoolean(DeletionProtection) ?? false,
            entity.GetDateTimeOffset(DeletionDate),
            entity.GetInt32(RotationPeriodDays),
            entity.GetDateTimeOffset(NextRotationAt),
            entity.GetString(DeletionRequestedBy));
    }

    public static TableEntity ToEntity(KeyVersionRecord version)
    {
        var entity = new TableEntity(version.KeyId, VersionRowKey(version.Version))
        {
            [Version] = version.Version,
            [State] = version.State.ToString(),
            [WrappedMaterial] = version.WrappedMaterial,
            [RootKeyLabel] = version.RootKeyLabel,
            [CreatedAt] = version.CreatedAt,
            [StateChangedAt] = version.StateChangedAt,
        };
        if (version.PublicKey is not null)
        {
            entity[PublicKey] = version.PublicKey;
        }

        if (version.Operation is not null)
        {
            entity[Operation] = version.Operation;
        }

        return entity;
    }

    /// <summary>
    /// Only the mutable part of a version row, for a merge that cannot touch the material, with one exception:
    /// destruction, whose whole point is to remove it (the material column is emptied).
    /// </summary>
    public static TableEntity ToStatePatch(KeyVersionRecord version)
    {
        var patch = new TableEntity(version.KeyId, VersionRowKey(version.Version))
        {
            [State] = version.State.ToString(),
            [StateChangedAt] = version.StateChangedAt,
        };
        if (version.RevokedBy is not null)
        {
            patch[RevokedBy] = version.RevokedBy;
        }

        if (version.State == KeyVersionState.Destroyed)
        {
            patch[WrappedMaterial] = Array.Empty<byte>();
        }

        return patch;
    }

    public static KeyVersionRecord ToVersion(TableEntity entity)
    {
        var state = ParseEnum<KeyVersionState>(entity, State);
        return new(
            entity.PartitionKey,
            Required(entity, Version, entity.GetInt32(Version)),
            state,
            state == KeyVersionState.Destroyed ? entity.GetBinary(WrappedMaterial) ?? [] : Required(entity, WrappedMaterial, entity.GetBinary(WrappedMaterial)),
            entity.GetBinary(PublicKey),
            Required(entity, RootKeyLabel, entity.GetString(RootKeyLabel)),
            Required(entity, CreatedAt, entity.GetDateTimeOffset(CreatedAt)),
            Required(entity, StateChangedAt, entity.GetDateTimeOffset(StateChangedAt)),
            entity.ETag.ToString(),
            entity.GetString(Operation),
            entity.GetString(RevokedBy));
    }

    public static TableEntity ToEntity(AliasRecord alias) =>
        new(alias.Name, AliasRowKey)
        {
            [KeyId] = alias.KeyId,
            [CreatedAt] = alias.CreatedAt,
            [UpdatedAt] = alias.UpdatedAt,
        };

    public static AliasRecord ToAlias(TableEntity entity) =>
        new(
            entity.PartitionKey,
            Required(entity, KeyId, entity.GetString(KeyId)),
            Required(entity, CreatedAt, entity.GetDateTimeOffset(CreatedAt)),
            Required(entity, UpdatedAt, entity.GetDateTimeOffset(UpdatedAt)),
            entity.ETag.ToString());

    /// <summary>The If-Match value of an update; a record without an ETag was not read from the store.</summary>
    public static ETag RequireETag(string? etag, string paramName) =>
        string.IsNullOrEmpty(etag)
            ? throw new ArgumentException("Updates are conditional: pass the record as read from the store, with its ETag.", paramName)
            : new ETag(etag);

    private static T ParseEnum<T>(TableEntity entity, string property)
        where T : struct, Enum
    {
        var text = Required(entity, property, entity.GetString(property));
        // Names only: a number would parse too but is not what the writer stores.
        return text.Length > 0 && !char.IsAsciiDigit(text[0]) && Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value)
            ? value
            : throw Unreadable(entity, property);
    }

    private static T Required<T>(TableEntity entity, string property, T? value)
        where T : class =>
        value ?? throw Unreadable(entity, property);

    private static T Required<T>(TableEntity entity, string property, T? value)
        where T : struct =>
        value ?? throw Unreadable(entity, property);

    private static InvalidDataException Unreadable(TableEntity entity, string property, Exception? inner = null) =>
        new($"Row '{entity.PartitionKey}'/'{entity.RowKey}' has a missing or invalid '{property}' property.", inner);
}

[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TagsJsonContext : JsonSerializerContext;
