namespace Kms.Core.Errors;

/// <summary>Factory for every <see cref="KmsException"/> the domain raises, so messages stay consistent.</summary>
public static class KmsErrors
{
    public static KmsException Validation(string message) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.ValidationFailed, message);

    public static KmsException MissingField(string field) =>
        Validation($"The field '{field}' is required.");

    public static KmsException InvalidBase64(string field) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.InvalidBase64, $"The field '{field}' is not valid base64.");

    public static KmsException MalformedRequest(string message) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.MalformedRequest, message);

    public static KmsException UnsupportedMediaType() =>
        new(KmsErrorKind.UnsupportedMediaType, KmsErrorCodes.UnsupportedMediaType, "The request body must be JSON (Content-Type: application/json).");

    public static KmsException PayloadTooLarge(string what, long limit) =>
        new(KmsErrorKind.PayloadTooLarge, KmsErrorCodes.PayloadTooLarge, $"{what} exceeds the limit of {limit} bytes.");

    public static KmsException BatchTooLarge(int count, int limit) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.BatchTooLarge, $"The batch has {count} items; at most {limit} are allowed.");

    public static KmsException KeyNotFound(string keyIdOrAlias) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.KeyNotFound, $"Key '{keyIdOrAlias}' was not found.");

    public static KmsException KeyVersionNotFound(string keyId, int version) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.KeyVersionNotFound, $"Version {version} of key '{keyId}' was not found.");

    public static KmsException AliasNotFound(string alias) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.AliasNotFound, $"Alias '{alias}' was not found.");

    public static KmsException AliasAlreadyExists(string alias) =>
        new(KmsErrorKind.Conflict, KmsErrorCodes.AliasAlreadyExists, $"Alias '{alias}' already exists.");

    public static KmsException IncorrectKeyUsage(string keyId, KeyUsage usage, string operation) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.IncorrectKeyUsage,
            $"Key '{keyId}' has usage {KeyUsageNames.ToWire(usage)} and cannot be used to {operation}.");

    public static KmsException UnsupportedAlgorithm(string message) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.UnsupportedAlgorithm, message);

    public static KmsException UnsupportedKeySpec(string message) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.UnsupportedKeySpec, message);

    public static KmsException KeyDisabled(string keyId) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyDisabled, $"Key '{keyId}' is disabled.");

    public static KmsException KeyVersionDisabled(string keyId, int version) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyVersionDisabled, $"Version {version} of key '{keyId}' is disabled.");

    public static KmsException KeyVersionRevoked(string keyId, int version) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyVersionRevoked,
            $"Version {version} of key '{keyId}' was revoked and can no longer be used.");

    public static KmsException KeyVersionDestroyed(string keyId, int version) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyVersionDestroyed, $"Version {version} of key '{keyId}' was destroyed; its material no longer exists.");

    /// <summary>The refusal for a version that is not enabled, naming why.</summary>
    public static KmsException VersionNotUsable(string keyId, KeyVersionRecord version) => version.State switch
    {
        KeyVersionState.Revoked => KeyVersionRevoked(keyId, version.Version),
        KeyVersionState.Destroyed => KeyVersionDestroyed(keyId, version.Version),
        _ => KeyVersionDisabled(keyId, version.Version),
    };

    public static KmsException KeyDestroyed(string keyId) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyDestroyed, $"Key '{keyId}' was destroyed; its material no longer exists.");

    /// <summary>
    /// One answer for every ciphertext that does not open: truncated, tampered, wrong context or wrong key.
    /// Saying which would hand an attacker an oracle.
    /// </summary>
    public static KmsException InvalidCiphertext() =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.InvalidCiphertext,
            "The ciphertext is not valid: it is malformed, was modified, or the encryption context does not match.");

    public static KmsException ConcurrentModification(string what) =>
        new(KmsErrorKind.Conflict, KmsErrorCodes.ConcurrentModification,
            $"{what} was changed by another request at the same time; read it again and retry.");

    public static KmsException HsmUnavailable(Exception? inner = null) =>
        new(KmsErrorKind.Unavailable, KmsErrorCodes.HsmUnavailable, "The HSM is unavailable; retry later.", inner) { RetryAfterSeconds = 1 };

    public static KmsException StorageUnavailable(Exception? inner = null) =>
        new(KmsErrorKind.Unavailable, KmsErrorCodes.StorageUnavailable, "The key store is unavailable; retry later.", inner) { RetryAfterSeconds = 1 };

    public static KmsException Unauthenticated(string reason) =>
        new(KmsErrorKind.Unauthenticated, KmsErrorCodes.Unauthenticated, reason);

    /// <summary>The decision's reason names a role or statement, never context values.</summary>
    public static KmsException AccessDenied(string principal, string action, string? keyId, string reason) =>
        new(KmsErrorKind.Forbidden, KmsErrorCodes.AccessDenied,
            $"'{principal}' may not {action}{(keyId is null ? "" : $" on key '{keyId}'")}: {reason}.");

    public static KmsException Throttled(int retryAfterSeconds) =>
        new(KmsErrorKind.Throttled, KmsErrorCodes.Throttled, "Too many requests from this principal; slow down.") { RetryAfterSeconds = retryAfterSeconds };

    public static KmsException InvalidPolicy(string message) =>
        new(KmsErrorKind.BadRequest, KmsErrorCodes.InvalidPolicy, message);

    public static KmsException KeyPendingDeletion(string keyId) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.KeyPendingDeletion, $"Key '{keyId}' is pending deletion; cancel the deletion to use it again.");

    public static KmsException DeletionProtected(string keyId) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.DeletionProtected, $"Key '{keyId}' has deletion protection; an admin must clear it first.");

    /// <summary>The request was not served because its audit record could not be stored (fail closed).</summary>
    public static KmsException AuditUnavailable() =>
        new(KmsErrorKind.Unavailable, KmsErrorCodes.AuditUnavailable, "The audit log is unavailable, so the request was not served; retry later.")
        {
            RetryAfterSeconds = 1,
        };

    public static KmsException PolicyNotFound(string keyId) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.PolicyNotFound, $"Key '{keyId}' has no key policy; roles alone decide access to it.");

    public static KmsException RoleAssignmentNotFound(string id) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.RoleAssignmentNotFound, $"Role assignment '{id}' was not found.");

    public static KmsException ApprovalNotAllowed(string message) =>
        new(KmsErrorKind.InvalidState, KmsErrorCodes.ApprovalNotAllowed, message);

    public static KmsException OperationNotFound(string id) =>
        new(KmsErrorKind.NotFound, KmsErrorCodes.OperationNotFound, $"Operation '{(id.Length <= 80 ? id : id[..80] + "...")}' was not found.");

    /// <summary>The operation's state does not allow the request (e.g. resuming one that is not paused), or another is running.</summary>
    public static KmsException OperationConflict(string message) =>
        new(KmsErrorKind.Conflict, KmsErrorCodes.OperationConflict, message);

    public static KmsException WorkflowsUnavailable(Exception? inner = null) =>
        new(KmsErrorKind.Unavailable, KmsErrorCodes.WorkflowsUnavailable, "The orchestration engine is unavailable; retry later.", inner);
}
