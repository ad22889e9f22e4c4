namespace Kms.Core.Errors;

/// <summary>
/// Stable machine-readable error codes. They appear as <c>code</c> in every ProblemDetails answer and
/// are part of the public contract: add new ones, never rename or reuse one.
/// </summary>
public static class KmsErrorCodes
{
    public const string MalformedRequest = "MalformedRequest";
    public const string UnsupportedMediaType = "UnsupportedMediaType";
    public const string ValidationFailed = "ValidationFailed";
    public const string InvalidBase64 = "InvalidBase64";
    public const string PayloadTooLarge = "PayloadTooLarge";
    public const string BatchTooLarge = "BatchTooLarge";
    public const string KeyNotFound = "KeyNotFound";
    public const string KeyVersionNotFound = "KeyVersionNotFound";
    public const string AliasNotFound = "AliasNotFound";
    public const string AliasAlreadyExists = "AliasAlreadyExists";
    public const string RouteNotFound = "RouteNotFound";
    public const string MethodNotAllowed = "MethodNotAllowed";
    public const string IncorrectKeyUsage = "IncorrectKeyUsage";
    public const string UnsupportedAlgorithm = "UnsupportedAlgorithm";
    public const string UnsupportedKeySpec = "UnsupportedKeySpec";
    public const string KeyDisabled = "KeyDisabled";
    public const string KeyVersionDisabled = "KeyVersionDisabled";
    public const string KeyVersionRevoked = "KeyVersionRevoked";
    public const string KeyVersionDestroyed = "KeyVersionDestroyed";
    public const string KeyDestroyed = "KeyDestroyed";
    public const string InvalidCiphertext = "InvalidCiphertext";
    public const string ConcurrentModification = "ConcurrentModification";
    public const string HsmUnavailable = "HsmUnavailable";
    public const string StorageUnavailable = "StorageUnavailable";
    public const string InternalError = "InternalError";
    public const string Unauthenticated = "Unauthenticated";
    public const string AccessDenied = "AccessDenied";
    public const string Throttled = "Throttled";
    public const string InvalidPolicy = "InvalidPolicy";
    public const string KeyPendingDeletion = "KeyPendingDeletion";
    public const string DeletionProtected = "DeletionProtected";
    public const string PolicyNotFound = "PolicyNotFound";
    public const string AuditUnavailable = "AuditUnavailable";
    public const string RoleAssignmentNotFound = "RoleAssignmentNotFound";
    public const string ApprovalNotFound = "ApprovalNotFound";
    public const string ApprovalNotAllowed = "ApprovalNotAllowed";
    public const string OperationNotFound = "OperationNotFound";
    public const string OperationConflict = "OperationConflict";
    public const string WorkflowsUnavailable = "WorkflowsUnavailable";
}
