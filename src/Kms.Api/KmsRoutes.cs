using Kms.Api.Contracts;
using Kms.Api.Handlers;
using Kms.Core.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api;

/// <summary>The route table of the KMS API: the single source both hosts map and the OpenAPI document describes.</summary>
public static class KmsRoutes
{
    public const string OpenApiRouteName = "GetOpenApiDocument";

    private const string Get = "GET", Post = "POST", Put = "PUT", Delete = "DELETE";
    public const string CryptoTag = "Cryptography";
    private const string Keys = "Keys", Aliases = "Aliases", Crypto = CryptoTag, Service = "Service", Access = "Access control", Audit = "Audit", Operations = "Operations";

    public static IReadOnlyList<KmsRoute> All { get; } =
    [
        Route<HealthHandler>("GetHealth", Get, "health", (h, c, t) => h.GetAsync(c, t), null, typeof(HealthResponse), 200, "Health of the HSM and storage", Service, null) with { AllowAnonymous = true },
        Route<OpenApiHandler>(OpenApiRouteName, Get, "openapi.json", (h, c, t) => h.GetAsync(c, t), null, null, 200, "This API's OpenAPI document", Service, null),

        Route<KeysHandler>("CreateKey", Post, "keys", (h, c, t) => h.CreateAsync(c, t), typeof(CreateKeyRequest), typeof(KeyResponse), 201, "Create a key", Keys, KmsActions.CreateKey),
        Route<KeysHandler>("ListKeys", Get, "keys", (h, c, t) => h.ListAsync(c, t), null, typeof(KeyListResponse), 200, "List keys (paged)", Keys, KmsActions.ListKeys),
        Route<KeysHandler>("GetKey", Get, "keys/{keyIdOrAlias}", (h, c, t) => h.GetAsync(c, t), null, typeof(KeyResponse), 200, "Describe a key", Keys, KmsActions.DescribeKey),
        Route<KeysHandler>("EnableKey", Post, "keys/{keyId}/enable", (h, c, t) => h.EnableAsync(c, t), null, typeof(KeyResponse), 200, "Enable a key", Keys, KmsActions.EnableKey),
        Route<KeysHandler>("DisableKey", Post, "keys/{keyId}/disable", (h, c, t) => h.DisableAsync(c, t), null, typeof(KeyResponse), 200, "Disable a key", Keys, KmsActions.DisableKey),
        Route<KeysHandler>("RotateKey", Post, "keys/{keyId}/rotate", (h, c, t) => h.RotateAsync(c, t), null, typeof(RotateKeyResponse), 200, "Create a new primary version now", Keys, KmsActions.RotateKey),
        Route<KeysHandler>("SetRotationPolicy", Put, "keys/{keyId}/rotation-policy", (h, c, t) => h.SetRotationPolicyAsync(c, t), typeof(RotationPolicyRequest), typeof(KeyResponse), 200, "Rotate automatically every N days (a staged rotation), or stop", Keys, KmsActions.RotateKey),
        Route<KeysHandler>("ListKeyVersions", Get, "keys/{keyId}/versions", (h, c, t) => h.ListVersionsAsync(c, t), null, typeof(KeyVersionListResponse), 200, "List a key's versions", Keys, KmsActions.ListKeyVersions),
        Route<KeysHandler>("EnableKeyVersion", Post, "keys/{keyId}/versions/{version}/enable", (h, c, t) => h.EnableVersionAsync(c, t), null, typeof(KeyVersionResponse), 200, "Enable a key version", Keys, KmsActions.EnableKeyVersion),
        Route<KeysHandler>("DisableKeyVersion", Post, "keys/{keyId}/versions/{version}/disable", (h, c, t) => h.DisableVersionAsync(c, t), null, typeof(KeyVersionResponse), 200, "Disable a key version", Keys, KmsActions.DisableKeyVersion),

        Route<KeysHandler>("ScheduleKeyDeletion", Post, "keys/{keyId}/schedule-deletion", (h, c, t) => h.ScheduleDeletionAsync(c, t), typeof(ScheduleDeletionRequest), typeof(KeyResponse), 200, "Schedule a key's deletion in 7 to 30 days", Keys, KmsActions.ScheduleKeyDeletion) with { BodyOptional = true },
        Route<KeysHandler>("CancelKeyDeletion", Post, "keys/{keyId}/cancel-deletion", (h, c, t) => h.CancelDeletionAsync(c, t), null, typeof(KeyResponse), 200, "Cancel a scheduled deletion (the key stays disabled)", Keys, KmsActions.CancelKeyDeletion),
        Route<KeysHandler>("SetDeletionProtection", Put, "keys/{keyId}/deletion-protection", (h, c, t) => h.SetDeletionProtectionAsync(c, t), typeof(DeletionProtectionRequest), typeof(KeyResponse), 200, "Turn deletion protection on or off", Keys, KmsActions.SetDeletionProtection),

        Route<AccessHandler>("GetKeyPolicy", Get, "keys/{keyId}/policy", (h, c, t) => h.GetPolicyAsync(c, t), null, typeof(KeyPolicyBody), 200, "Read a key's policy", Access, KmsActions.GetKeyPolicy),
        Route<AccessHandler>("PutKeyPolicy", Put, "keys/{keyId}/policy", (h, c, t) => h.PutPolicyAsync(c, t), typeof(KeyPolicyBody), typeof(KeyPolicyBody), 200, "Replace a key's policy", Access, KmsActions.PutKeyPolicy),
        Route<AccessHandler>("SimulatePolicy", Post, "policy/simulate", (h, c, t) => h.SimulateAsync(c, t), typeof(SimulateRequest), typeof(SimulateResponse), 200, "Explain whether a principal may do an action", Access, KmsActions.SimulatePolicy),
        Route<AccessHandler>("ListRoleAssignments", Get, "role-assignments", (h, c, t) => h.ListAssignmentsAsync(c, t), null, typeof(RoleAssignmentListResponse), 200, "List role assignments", Access, KmsActions.ManageRoleAssignments),
        Route<AccessHandler>("CreateRoleAssignment", Post, "role-assignments", (h, c, t) => h.CreateAssignmentAsync(c, t), typeof(RoleAssignmentRequest), typeof(RoleAssignmentResponse), 201, "Assign a role for all keys or one key", Access, KmsActions.ManageRoleAssignments),
        Route<AccessHandler>("DeleteRoleAssignment", Delete, "role-assignments/{assignmentId}", (h, c, t) => h.DeleteAssignmentAsync(c, t), null, null, 204, "Remove a role assignment", Access, KmsActions.ManageRoleAssignments),

        Route<OperationsHandler>("StartRotation", Post, "keys/{keyId}/rotations", (h, c, t) => h.StartRotationAsync(c, t), typeof(RotationRequest), typeof(OperationResponse), 202, "Start a staged rotation (new version, canary probe, promote; rolled back on failure), optionally followed by rewrap campaigns", Operations, KmsActions.RotateKey) with { BodyOptional = true },
        Route<OperationsHandler>("RevokeKeyVersions", Post, "keys/{keyId}/revocations", (h, c, t) => h.StartRevocationAsync(c, t), typeof(RevocationRequest), typeof(OperationResponse), 202, "Emergency revocation: revoke versions at once, announce it, replace the primary, rewrap sources, destroy after approvals", Operations, KmsActions.RevokeKeyVersion),
        Route<OperationsHandler>("StartRewrap", Post, "rewrap-jobs", (h, c, t) => h.StartRewrapAsync(c, t), typeof(RewrapJobRequest), typeof(OperationResponse), 202, "Start a rewrap campaign: re-encrypt stored ciphertexts (a table column or blobs) to the key's primary version", Operations, KmsActions.Rewrap),
        Route<RootRotationHandler>("StartRootKeyRotation", Post, "hsm/root-rotations", (h, c, t) => h.StartAsync(c, t), null, typeof(OperationResponse), 202, "Start a root-key rotation: new root in the HSM, rewrap every stored key, switch, verify, retire the old root", Operations, KmsActions.RotateRootKey),
        Route<OperationsHandler>("ListOperations", Get, "operations", (h, c, t) => h.ListAsync(c, t), null, typeof(OperationListResponse), 200, "List operations (filters: type, keyId, state; paged)", Operations, KmsActions.ListOperations),
        Route<OperationsHandler>("GetOperation", Get, "operations/{operationId}", (h, c, t) => h.GetAsync(c, t), null, typeof(OperationResponse), 200, "Status of an operation: state, step, checkpoints, error", Operations, KmsActions.ReadOperation),
        Route<OperationsHandler>("PauseOperation", Post, "operations/{operationId}/pause", (h, c, t) => h.PauseAsync(c, t), null, typeof(OperationResponse), 200, "Pause a running operation", Operations, KmsActions.ControlOperation),
        Route<OperationsHandler>("ResumeOperation", Post, "operations/{operationId}/resume", (h, c, t) => h.ResumeAsync(c, t), null, typeof(OperationResponse), 200, "Resume a paused operation", Operations, KmsActions.ControlOperation),
        Route<OperationsHandler>("ApproveOperation", Post, "operations/{operationId}/approvals", (h, c, t) => h.ApproveAsync(c, t), typeof(OperationApprovalRequest), typeof(OperationResponse), 202, "Approve the destruction an operation waits for (distinct approvers; not the requester)", Operations, KmsActions.Approve) with { BodyOptional = true },
        Route<OperationsHandler>("CancelOperation", Post, "operations/{operationId}/cancel", (h, c, t) => h.CancelAsync(c, t), null, typeof(OperationResponse), 200, "Cancel an operation where it stands", Operations, KmsActions.ControlOperation),

        Route<AuditHandler>("QueryAudit", Get, "audit", (h, c, t) => h.QueryAsync(c, t), null, typeof(AuditListResponse), 200, "Read audit records (filters: keyId, principal, operation, result, from, to; paged)", Audit, KmsActions.ReadAudit),
        Route<AuditHandler>("VerifyAudit", Post, "audit/verify", (h, c, t) => h.VerifyAsync(c, t), null, typeof(AuditVerifyResponse), 200, "Verify every audit chain and its signed checkpoints", Audit, KmsActions.ReadAudit),

        Route<AliasesHandler>("PutAlias", Put, "aliases/{alias}", (h, c, t) => h.PutAsync(c, t), typeof(PutAliasRequest), typeof(AliasResponse), 200, "Create or re-point an alias", Aliases, KmsActions.PutAlias),
        Route<AliasesHandler>("DeleteAlias", Delete, "aliases/{alias}", (h, c, t) => h.DeleteAsync(c, t), null, null, 204, "Delete an alias", Aliases, KmsActions.DeleteAlias),

        Route<CryptoHandler>("Encrypt", Post, "keys/{keyIdOrAlias}/encrypt", (h, c, t) => h.EncryptAsync(c, t), typeof(EncryptRequest), typeof(EncryptResponse), 200, "Encrypt up to 64 KiB (or a batch)", Crypto, KmsActions.Encrypt),
        Route<CryptoHandler>("Decrypt", Post, "decrypt", (h, c, t) => h.DecryptAsync(c, t), typeof(DecryptRequest), typeof(DecryptResponse), 200, "Decrypt (the key comes from the ciphertext)", Crypto, KmsActions.Decrypt),
        Route<CryptoHandler>("ReEncrypt", Post, "re-encrypt", (h, c, t) => h.ReEncryptAsync(c, t), typeof(ReEncryptRequest), typeof(ReEncryptResponse), 200, "Re-encrypt under another key or version without exposing plaintext", Crypto, KmsActions.ReEncrypt),
        Route<CryptoHandler>("GenerateDataKey", Post, "keys/{keyIdOrAlias}/generate-data-key", (h, c, t) => h.GenerateDataKeyAsync(c, t), typeof(GenerateDataKeyRequest), typeof(GenerateDataKeyResponse), 200, "Generate a data key", Crypto, KmsActions.GenerateDataKey),
        Route<CryptoHandler>("Sign", Post, "keys/{keyIdOrAlias}/sign", (h, c, t) => h.SignAsync(c, t), typeof(SignRequest), typeof(SignResponse), 200, "Sign a message or digest", Crypto, KmsActions.Sign),
        Route<CryptoHandler>("Verify", Post, "keys/{keyIdOrAlias}/verify", (h, c, t) => h.VerifyAsync(c, t), typeof(VerifyRequest), typeof(VerifyResponse), 200, "Verify a signature", Crypto, KmsActions.Verify),
        Route<CryptoHandler>("GetPublicKey", Get, "keys/{keyIdOrAlias}/public-key", (h, c, t) => h.GetPublicKeyAsync(c, t), null, typeof(PublicKeyResponse), 200, "Public key (SPKI PEM, or JSON with Accept: application/json)", Crypto, KmsActions.GetPublicKey),
        Route<CryptoHandler>("GenerateMac", Post, "keys/{keyIdOrAlias}/mac", (h, c, t) => h.GenerateMacAsync(c, t), typeof(MacRequest), typeof(MacResponse), 200, "Compute an HMAC", Crypto, KmsActions.GenerateMac),
        Route<CryptoHandler>("VerifyMac", Post, "keys/{keyIdOrAlias}/verify-mac", (h, c, t) => h.VerifyMacAsync(c, t), typeof(VerifyMacRequest), typeof(VerifyResponse), 200, "Verify an HMAC", Crypto, KmsActions.VerifyMac),
        Route<CryptoHandler>("GenerateRandom", Post, "random", (h, c, t) => h.GenerateRandomAsync(c, t), typeof(RandomRequest), typeof(RandomResponse), 200, "Random bytes from the HSM", Crypto, KmsActions.GenerateRandom),
    ];

    public static KmsRoute Named(string name) =>
        All.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No route named '{name}'.", nameof(name));

    private static KmsRoute Route<THandler>(string name, string method, string template,
        Func<THandler, HttpContext, CancellationToken, Task<IResult>> invoke, Type? request, Type? response, int status, string summary, string tag,
        string? action)
        where THandler : notnull =>
        new(name, method, template, http => invoke(http.RequestServices.GetRequiredService<THandler>(), http, http.RequestAborted),
            request, response, status, summary, tag) { Action = action };
}
