using Kms.Api;
using Microsoft.AspNetCore.Http;
using Kms.Api.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Kms.Functions;

/// <summary>
/// One HTTP trigger per route of <see cref="KmsRoutes"/>; each only hands the request to the shared executor.
/// Function names equal route names, and a test proves functions.metadata lists exactly the LocalHost routes.
/// Authorization is done by the KMS itself, so the Functions key level is Anonymous.
/// </summary>
public sealed class KmsHttpFunctions
{
    [Function(nameof(GetHealth))]
    public Task<IResult> GetHealth([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GetHealth));

    [Function(nameof(GetOpenApiDocument))]
    public Task<IResult> GetOpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GetOpenApiDocument));

    [Function(nameof(CreateKey))]
    public Task<IResult> CreateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(CreateKey));

    [Function(nameof(ListKeys))]
    public Task<IResult> ListKeys([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(ListKeys));

    [Function(nameof(GetKey))]
    public Task<IResult> GetKey([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys/{keyIdOrAlias}")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GetKey), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(EnableKey))]
    public Task<IResult> EnableKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/enable")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(EnableKey), (nameof(keyId), keyId));

    [Function(nameof(DisableKey))]
    public Task<IResult> DisableKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/disable")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(DisableKey), (nameof(keyId), keyId));

    [Function(nameof(RotateKey))]
    public Task<IResult> RotateKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/rotate")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(RotateKey), (nameof(keyId), keyId));

    [Function(nameof(ListKeyVersions))]
    public Task<IResult> ListKeyVersions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys/{keyId}/versions")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(ListKeyVersions), (nameof(keyId), keyId));

    [Function(nameof(EnableKeyVersion))]
    public Task<IResult> EnableKeyVersion([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/versions/{version}/enable")] HttpRequest req, string keyId, string version) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(EnableKeyVersion), (nameof(keyId), keyId), (nameof(version), version));

    [Function(nameof(DisableKeyVersion))]
    public Task<IResult> DisableKeyVersion([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/versions/{version}/disable")] HttpRequest req, string keyId, string version) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(DisableKeyVersion), (nameof(keyId), keyId), (nameof(version), version));

    [Function(nameof(PutAlias))]
    public Task<IResult> PutAlias([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "aliases/{alias}")] HttpRequest req, string alias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(PutAlias), (nameof(alias), alias));

    [Function(nameof(DeleteAlias))]
    public Task<IResult> DeleteAlias([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "aliases/{alias}")] HttpRequest req, string alias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(DeleteAlias), (nameof(alias), alias));

    [Function(nameof(Encrypt))]
    public Task<IResult> Encrypt([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/encrypt")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(Encrypt), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(Decrypt))]
    public Task<IResult> Decrypt([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "decrypt")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(Decrypt));

    [Function(nameof(ReEncrypt))]
    public Task<IResult> ReEncrypt([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "re-encrypt")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(ReEncrypt));

    [Function(nameof(GenerateDataKey))]
    public Task<IResult> GenerateDataKey([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/generate-data-key")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GenerateDataKey), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(Sign))]
    public Task<IResult> Sign([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/sign")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(Sign), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(Verify))]
    public Task<IResult> Verify([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/verify")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(Verify), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(GetPublicKey))]
    public Task<IResult> GetPublicKey([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys/{keyIdOrAlias}/public-key")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GetPublicKey), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(GenerateMac))]
    public Task<IResult> GenerateMac([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/mac")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GenerateMac), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(VerifyMac))]
    public Task<IResult> VerifyMac([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyIdOrAlias}/verify-mac")] HttpRequest req, string keyIdOrAlias) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(VerifyMac), (nameof(keyIdOrAlias), keyIdOrAlias));

    [Function(nameof(GenerateRandom))]
    public Task<IResult> GenerateRandom([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "random")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GenerateRandom));

    [Function(nameof(ScheduleKeyDeletion))]
    public Task<IResult> ScheduleKeyDeletion([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/schedule-deletion")] HttpRequest req, string keyId,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(ScheduleKeyDeletion), (nameof(keyId), keyId));

    [Function(nameof(CancelKeyDeletion))]
    public Task<IResult> CancelKeyDeletion([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/cancel-deletion")] HttpRequest req, string keyId,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(CancelKeyDeletion), (nameof(keyId), keyId));

    [Function(nameof(SetDeletionProtection))]
    public Task<IResult> SetDeletionProtection([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "keys/{keyId}/deletion-protection")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(SetDeletionProtection), (nameof(keyId), keyId));

    [Function(nameof(GetKeyPolicy))]
    public Task<IResult> GetKeyPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "keys/{keyId}/policy")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(GetKeyPolicy), (nameof(keyId), keyId));

    [Function(nameof(PutKeyPolicy))]
    public Task<IResult> PutKeyPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "keys/{keyId}/policy")] HttpRequest req, string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(PutKeyPolicy), (nameof(keyId), keyId));

    [Function(nameof(SimulatePolicy))]
    public Task<IResult> SimulatePolicy([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "policy/simulate")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(SimulatePolicy));

    [Function(nameof(ListRoleAssignments))]
    public Task<IResult> ListRoleAssignments([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "role-assignments")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(ListRoleAssignments));

    [Function(nameof(CreateRoleAssignment))]
    public Task<IResult> CreateRoleAssignment([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "role-assignments")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(CreateRoleAssignment));

    [Function(nameof(DeleteRoleAssignment))]
    public Task<IResult> DeleteRoleAssignment([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "role-assignments/{assignmentId}")] HttpRequest req, string assignmentId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(DeleteRoleAssignment), (nameof(assignmentId), assignmentId));

    [Function(nameof(QueryAudit))]
    public Task<IResult> QueryAudit([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(QueryAudit));

    [Function(nameof(VerifyAudit))]
    public Task<IResult> VerifyAudit([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "audit/verify")] HttpRequest req) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(VerifyAudit));

    [Function(nameof(StartRotation))]
    public Task<IResult> StartRotation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/rotations")] HttpRequest req, string keyId,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(StartRotation), (nameof(keyId), keyId));

    [Function(nameof(SetRotationPolicy))]
    public Task<IResult> SetRotationPolicy([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "keys/{keyId}/rotation-policy")] HttpRequest req,
        string keyId) =>
        req.HttpContext.InvokeKmsRouteAsync(nameof(SetRotationPolicy), (nameof(keyId), keyId));

    [Function(nameof(RevokeKeyVersions))]
    public Task<IResult> RevokeKeyVersions([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "keys/{keyId}/revocations")] HttpRequest req, string keyId,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(RevokeKeyVersions), (nameof(keyId), keyId));

    [Function(nameof(ApproveOperation))]
    public Task<IResult> ApproveOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operations/{operationId}/approvals")] HttpRequest req,
        string operationId, [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(ApproveOperation), (nameof(operationId), operationId));

    [Function(nameof(StartRewrap))]
    public Task<IResult> StartRewrap([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rewrap-jobs")] HttpRequest req,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(StartRewrap));

    [Function(nameof(StartRootKeyRotation))]
    public Task<IResult> StartRootKeyRotation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "hsm/root-rotations")] HttpRequest req,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(StartRootKeyRotation));

    [Function(nameof(ListOperations))]
    public Task<IResult> ListOperations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operations")] HttpRequest req,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(ListOperations));

    [Function(nameof(GetOperation))]
    public Task<IResult> GetOperation([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operations/{operationId}")] HttpRequest req, string operationId,
        [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(GetOperation), (nameof(operationId), operationId));

    [Function(nameof(PauseOperation))]
    public Task<IResult> PauseOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operations/{operationId}/pause")] HttpRequest req,
        string operationId, [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(PauseOperation), (nameof(operationId), operationId));

    [Function(nameof(ResumeOperation))]
    public Task<IResult> ResumeOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operations/{operationId}/resume")] HttpRequest req,
        string operationId, [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(ResumeOperation), (nameof(operationId), operationId));

    [Function(nameof(CancelOperation))]
    public Task<IResult> CancelOperation([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operations/{operationId}/cancel")] HttpRequest req,
        string operationId, [DurableClient] DurableTaskClient client) =>
        WithClient(req, client).InvokeKmsRouteAsync(nameof(CancelOperation), (nameof(operationId), operationId));

    // The handlers find the binding's client here (see Kms.Api.Http.DurableClients).
    private static HttpContext WithClient(HttpRequest req, DurableTaskClient client)
    {
        req.HttpContext.Items[DurableClients.ItemKey] = client;
        return req.HttpContext;
    }
}
