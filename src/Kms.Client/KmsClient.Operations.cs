using Azure;
using Azure.Core;
using Kms.Client.Models;
using Kms.Client.Serialization;

namespace Kms.Client;

// Long-running operations (docs/workflows.md): starting them answers 202 with the operation; poll GetOperationAsync.
public partial class KmsClient
{
    /// <summary><c>POST /api/keys/{keyId}/rotations</c>: a staged rotation (new version, canary probe, promote; rolled back
    /// on failure), optionally followed by rewrap campaigns.</summary>
    public virtual async Task<Response<KmsOperation>> StartRotationAsync(string keyId, StartRotationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var body = new RotationBody(options is { RewrapSources.Count: > 0 }
            ? new RotationRewrapBody(options.RewrapSources, options.DisableOldVersions)
            : null);
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyId, nameof(keyId))}/rotations", body, Json.RotationBody);
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/keys/{keyId}/revocations</c>: the emergency revocation. The versions are refused
    /// (<c>KeyVersionRevoked</c>) before this returns; their material is destroyed after the approvals.</summary>
    public virtual async Task<Response<KmsOperation>> RevokeKeyVersionsAsync(string keyId, RevocationOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new RevocationBody(options.Versions, options.Reason, options.Sources.Count > 0 ? options.Sources : null);
        using var message = CreateMessage(RequestMethod.Post, $"keys/{Segment(keyId, nameof(keyId))}/revocations", body, Json.RevocationBody);
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/rewrap-jobs</c>: re-encrypts a source's stored ciphertexts to the key's primary version.</summary>
    public virtual async Task<Response<KmsOperation>> StartRewrapAsync(RewrapJobOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var body = new RewrapJobBody(options.KeyId, options.FromVersions.Count > 0 ? options.FromVersions : null, options.Source,
            options.DisableOldVersions);
        using var message = CreateMessage(RequestMethod.Post, "rewrap-jobs", body, Json.RewrapJobBody);
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/hsm/root-rotations</c>: a root-key rotation (one at a time; <c>OperationConflict</c> otherwise).</summary>
    public virtual async Task<Response<KmsOperation>> StartRootKeyRotationAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, "hsm/root-rotations");
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/operations/{id}</c>: state, step, checkpoints, progress, approvals, error.</summary>
    public virtual async Task<Response<KmsOperation>> GetOperationAsync(string operationId, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, $"operations/{Segment(operationId, nameof(operationId))}");
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/operations</c>, filtered, page by page.</summary>
    public virtual AsyncPageable<KmsOperation> GetOperationsAsync(OperationQuery? query = null, CancellationToken cancellationToken = default) =>
        new KmsAsyncPageable<KmsOperation>(async (continuationToken, pageSize, ct) =>
        {
            using var message = CreateMessage(RequestMethod.Get, "operations", ("type", query?.Type), ("keyId", query?.KeyId), ("state", query?.State),
                ("pageSize", PageSize(pageSize)), ("continuationToken", continuationToken));
            var page = await SendAsync(message, Json.OperationPage, async: true, ct).ConfigureAwait(false);
            return Page<KmsOperation>.FromValues(page.Value.Operations, page.Value.ContinuationToken, page.GetRawResponse());
        }, cancellationToken);

    public virtual Task<Response<KmsOperation>> PauseOperationAsync(string operationId, CancellationToken cancellationToken = default) =>
        SteerOperationAsync(operationId, "pause", cancellationToken);

    public virtual Task<Response<KmsOperation>> ResumeOperationAsync(string operationId, CancellationToken cancellationToken = default) =>
        SteerOperationAsync(operationId, "resume", cancellationToken);

    /// <summary>Cancels the operation where it stands.</summary>
    public virtual Task<Response<KmsOperation>> CancelOperationAsync(string operationId, CancellationToken cancellationToken = default) =>
        SteerOperationAsync(operationId, "cancel", cancellationToken);

    /// <summary><c>POST /api/operations/{id}/approvals</c>: approves the destruction the operation waits for (role
    /// <c>kms.approver</c>; not its requester, once per principal: <c>ApprovalNotAllowed</c>).</summary>
    public virtual async Task<Response<KmsOperation>> ApproveOperationAsync(string operationId, string? comment = null,
        CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, $"operations/{Segment(operationId, nameof(operationId))}/approvals",
            new ApprovalBody(comment), Json.ApprovalBody);
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Response<KmsOperation>> SteerOperationAsync(string operationId, string action, CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Post, $"operations/{Segment(operationId, nameof(operationId))}/{action}");
        return await SendAsync(message, Json.KmsOperation, async: true, cancellationToken).ConfigureAwait(false);
    }
}
