using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Internal;

/// <summary>Rows of access control: key policies and role assignments.</summary>
internal static partial class Entities
{
    public const string PolicyRowKey = "policy";

    public const string Document = nameof(Document);
    public const string UpdatedBy = nameof(UpdatedBy);
    public const string Principal = nameof(Principal);
    public const string Role = nameof(Role);
    public const string Scope = nameof(Scope);
    public const string CreatedBy = nameof(CreatedBy);
    public const string Operation = nameof(Operation);

    private const string PrincipalPartitionPrefix = "p-";

    /// <summary>
    /// The partition of a principal's role assignments: "p-" and the base64url SHA-256 of its UTF-8 bytes.
    /// Principals are free text (URIs, "DOMAIN\user", e-mail addresses) and may hold characters Azure Tables
    /// refuses in keys; a hash is also fixed-length, where a reversible encoding of a long principal could pass
    /// the key size limit. The plain principal is stored in the row.
    /// </summary>
    public static string PrincipalPartitionKey(string principal) =>
        PrincipalPartitionPrefix + Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(principal)));

    public static TableEntity ToEntity(StoredKeyPolicy policy) =>
        new(policy.KeyId, PolicyRowKey)
        {
            [Document] = policy.Document,
            [UpdatedAt] = policy.UpdatedAt,
            [UpdatedBy] = policy.UpdatedBy,
        };

    public static StoredKeyPolicy ToPolicy(TableEntity entity) =>
        new(
            entity.PartitionKey,
            Required(entity, Document, entity.GetString(Document)),
            Required(entity, UpdatedAt, entity.GetDateTimeOffset(UpdatedAt)),
            Required(entity, UpdatedBy, entity.GetString(UpdatedBy)),
            entity.ETag.ToString());

    public static TableEntity ToEntity(RoleAssignment assignment) =>
        new(PrincipalPartitionKey(assignment.Principal), assignment.Id)
        {
            [Principal] = assignment.Principal,
            [Role] = assignment.Role,
            [Scope] = assignment.Scope,
            [CreatedBy] = assignment.CreatedBy,
            [CreatedAt] = assignment.CreatedAt,
        };

    public static RoleAssignment ToRoleAssignment(TableEntity entity) =>
        new(
            entity.RowKey,
            Required(entity, Principal, entity.GetString(Principal)),
            Required(entity, Role, entity.GetString(Role)),
            Required(entity, Scope, entity.GetString(Scope)),
            Required(entity, CreatedBy, entity.GetString(CreatedBy)),
            Required(entity, CreatedAt, entity.GetDateTimeOffset(CreatedAt)));

}
