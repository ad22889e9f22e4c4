using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Kms.Core.Ports;

namespace Kms.Storage.Tables.Internal;

/// <summary>Rows of access control: key policies, role assignments and approval requests.</summary>
internal static partial class Entities
{
    public const string PolicyRowKey = "policy";
    public const string ApprovalRowKey = "approval";

    public const string Document = nameof(Document);
    public const string UpdatedBy = nameof(UpdatedBy);
    public const string Principal = nameof(Principal);
    public const string Role = nameof(Role);
    public const string Scope = nameof(Scope);
    public const string CreatedBy = nameof(CreatedBy);
    public const string Operation = nameof(Operation);
    public const string RequestedBy = nameof(RequestedBy);
    public const string Reason = nameof(Reason);
    public const string RequiredApprovals = nameof(RequiredApprovals);
    public const string Approvals = nameof(Approvals);
    public const string Status = nameof(Status);
    public const string ExpiresAt = nameof(ExpiresAt);

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

    public static TableEntity ToEntity(ApprovalRequest request)
    {
        var approvals = request.Approvals.Select(a => new StoredApproval(a.Principal, a.ApprovedAt, a.Comment)).ToArray();
        var entity = new TableEntity(request.Id, ApprovalRowKey)
        {
            [Operation] = request.Operation,
            [KeyId] = request.KeyId,
            [RequestedBy] = request.RequestedBy,
            [RequiredApprovals] = request.RequiredApprovals,
            [Approvals] = JsonSerializer.Serialize(approvals, ApprovalsJsonContext.Default.StoredApprovalArray),
            [Status] = request.Status.ToString(),
            [CreatedAt] = request.CreatedAt,
            [ExpiresAt] = request.ExpiresAt,
        };
        if (request.Version is { } version)
        {
            entity[Version] = version;
        }

        if (request.Reason is not null)
        {
            entity[Reason] = request.Reason;
        }

        return entity;
    }

    public static ApprovalRequest ToApprovalRequest(TableEntity entity)
    {
        var approvalsJson = Required(entity, Approvals, entity.GetString(Approvals));
        StoredApproval[]? approvals;
        try
        {
            approvals = JsonSerializer.Deserialize(approvalsJson, ApprovalsJsonContext.Default.StoredApprovalArray);
        }
        catch (JsonException e)
        {
            throw Unreadable(entity, Approvals, e);
        }

        return new ApprovalRequest(
            entity.PartitionKey,
            Required(entity, Operation, entity.GetString(Operation)),
            Required(entity, KeyId, entity.GetString(KeyId)),
            entity.GetInt32(Version),
            Required(entity, RequestedBy, entity.GetString(RequestedBy)),
            entity.GetString(Reason),
            Required(entity, RequiredApprovals, entity.GetInt32(RequiredApprovals)),
            (approvals ?? []).Select(a => new Approval(a.Principal, a.ApprovedAt, a.Comment)).ToArray(),
            ParseEnum<ApprovalStatus>(entity, Status),
            Required(entity, CreatedAt, entity.GetDateTimeOffset(CreatedAt)),
            Required(entity, ExpiresAt, entity.GetDateTimeOffset(ExpiresAt)),
            entity.ETag.ToString());
    }
}

/// <summary>One element of an approval row's "Approvals" JSON array; the names are the stored ones.</summary>
internal sealed record StoredApproval(
    [property: JsonPropertyName("principal")] string Principal,
    [property: JsonPropertyName("approvedAt")] DateTimeOffset ApprovedAt,
    [property: JsonPropertyName("comment")] string? Comment = null);

// A missing principal or approvedAt is a damaged row, not a default value.
[JsonSourceGenerationOptions(RespectRequiredConstructorParameters = true, RespectNullableAnnotations = true)]
[JsonSerializable(typeof(StoredApproval[]))]
internal sealed partial class ApprovalsJsonContext : JsonSerializerContext;
