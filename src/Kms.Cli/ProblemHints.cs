using Kms.Core.Errors;

namespace Kms.Cli;

/// <summary>
/// Turns a refused request into the CLI's exit code and a one-line "what to do next". Hints name commands and
/// ids only: never a token, plaintext or key bytes.
/// </summary>
internal static class ProblemHints
{
    /// <summary>The exit code for an HTTP status: the code families scripts branch on.</summary>
    public static int ExitCodeFor(int status) => status switch
    {
        401 or 403 => ExitCodes.Denied,
        404 => ExitCodes.NotFound,
        409 or 412 => ExitCodes.Conflict,
        429 or 502 or 503 or 504 => ExitCodes.Unavailable,
        _ => ExitCodes.Failure,
    };

    /// <param name="code">The ProblemDetails code, or null when the answer was not one.</param>
    /// <param name="keyId">The key the command named, to fill into the suggested command; "&lt;id&gt;" when unknown.</param>
    public static string? HintFor(int status, string? code, string? keyId, string? requestId, int? retryAfterSeconds)
    {
        var id = keyId ?? "<id>";
        return code switch
        {
            KmsErrorCodes.Unauthenticated =>
                "get a token with `kms token --principal NAME --role ROLE` (local host) and set KMS_TOKEN, or pass --token; tokens expire",
            KmsErrorCodes.AccessDenied =>
                "the detail names the rule that decided; check with `kms policy simulate --principal P --action A --key KEY`, or use a token with the needed role",
            KmsErrorCodes.KeyNotFound => "list keys with `kms keys list`; lifecycle commands take the key id, not an alias",
            KmsErrorCodes.KeyVersionNotFound => $"list the versions with `kms keys versions list {id}`",
            KmsErrorCodes.AliasNotFound => "list aliases with `kms aliases list`",
            KmsErrorCodes.AliasAlreadyExists => "choose another alias, or re-point this one with `kms aliases update ALIAS --key KEYID`",
            KmsErrorCodes.OperationNotFound => "list operations with `kms operations list`",
            KmsErrorCodes.PolicyNotFound => "the key has no policy; roles alone decide",
            KmsErrorCodes.KeyDisabled => $"enable it with `kms keys enable {id}`",
            KmsErrorCodes.KeyVersionDisabled => $"enable the version with `kms keys versions enable {id} VERSION`",
            KmsErrorCodes.KeyPendingDeletion => $"cancel the deletion with `kms keys cancel-deletion {id}`, then `kms keys enable {id}`",
            KmsErrorCodes.DeletionProtected => $"turn protection off first with `kms keys deletion-protection {id} off`",
            KmsErrorCodes.KeyVersionRevoked or KmsErrorCodes.KeyVersionDestroyed or KmsErrorCodes.KeyDestroyed =>
                "this material can never be used again; data still under it must be restored from elsewhere",
            KmsErrorCodes.ConcurrentModification => $"another change to the key won the race; look at it with `kms keys show {id}` and retry",
            KmsErrorCodes.OperationConflict =>
                $"look at the operation's state with `kms operations show ID`, or what runs on the key with `kms operations list --key {id}`",
            KmsErrorCodes.ApprovalNotAllowed => "approvals must come from principals other than the requester, one each: use another approver's token",
            KmsErrorCodes.InvalidCiphertext =>
                "give the ciphertext exactly as `kms encrypt` wrote it (binary, not base64) and the same --context pairs used to encrypt",
            KmsErrorCodes.IncorrectKeyUsage or KmsErrorCodes.UnsupportedAlgorithm =>
                $"check the key's spec and usage with `kms keys show {id}` (docs/api.md lists the algorithms per spec)",
            KmsErrorCodes.UnsupportedKeySpec => "key specs: AES_256, RSA_2048, RSA_3072, RSA_4096, EC_P256, EC_P384, HMAC_SHA256",
            KmsErrorCodes.PayloadTooLarge => "the KMS takes at most 64 KiB per request; encrypt larger data under a key from `kms data-key`",
            KmsErrorCodes.MalformedRequest or KmsErrorCodes.ValidationFailed or KmsErrorCodes.InvalidBase64 or KmsErrorCodes.InvalidPolicy =>
                "check the command's options with `kms <command> --help`",
            KmsErrorCodes.Throttled => $"over the rate limit: retry after {retryAfterSeconds ?? 1} s",
            KmsErrorCodes.HsmUnavailable or KmsErrorCodes.StorageUnavailable or KmsErrorCodes.WorkflowsUnavailable or KmsErrorCodes.AuditUnavailable =>
                $"a KMS dependency is down; retry{(retryAfterSeconds is { } s ? $" after {s} s" : " later")} (GET /api/health shows which)",
            KmsErrorCodes.InternalError => $"a KMS bug: report it with request id {requestId ?? "(none)"}",
            KmsErrorCodes.RouteNotFound or KmsErrorCodes.MethodNotAllowed =>
                "is --endpoint (or KMS_ENDPOINT) a KMS of the same version as this CLI, with the right path prefix?",
            KmsErrorCodes.RoleAssignmentNotFound => "list role assignments with GET /api/role-assignments",
            null when status is 404 => "no such route: is --endpoint (or KMS_ENDPOINT) a KMS, with the right path prefix?",
            null => "is --endpoint (or KMS_ENDPOINT) a KMS?",
            _ => null,
        };
    }
}
