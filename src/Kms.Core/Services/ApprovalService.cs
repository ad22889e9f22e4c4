using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Core.Services;

/// <summary>
/// M-of-N approvals for destructive operations: a request names the key (and version) to destroy, and
/// becomes Approved once <see cref="KmsOptions.RequiredApprovals"/> distinct approvers other than the
/// requester have approved it before it expires. Carrying out an approved destruction is the job of the
/// durable workflow; this service owns the rules.
/// </summary>
public sealed class ApprovalService
{
    private const int UpdateAttempts = 4;

    private readonly IApprovalStore _approvals;
    private readonly IKeyStore _keys;
    private readonly IAccessGuard _access;
    private readonly TimeProvider _time;
    private readonly KmsOptions _options;

    public ApprovalService(IApprovalStore approvals, IKeyStore keys, IAccessGuard access, TimeProvider time, IOptions<KmsOptions> options)
    {
        _approvals = approvals;
        _keys = keys;
        _access = access;
        _time = time;
        _options = options.Value;
    }

    /// <summary>
    /// Asks to destroy a key (it must be pending deletion) or one version (it must be disabled and not primary).
    /// </summary>
    public async Task<ApprovalRequest> RequestDestructionAsync(string keyId, int? version, string? reason, CancellationToken cancellationToken)
    {
        if (reason is { Length: > 512 })
        {
            throw KmsErrors.Validation("'reason' is longer than 512 characters.");
        }

        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(KmsActions.RequestDestruction, key.KeyId, null, cancellationToken);
        if (version is null && key.State != KeyState.PendingDeletion)
        {
            throw KmsErrors.ApprovalNotAllowed($"Key '{key.KeyId}' must be pending deletion before its destruction can be requested.");
        }

        if (version is { } number)
        {
            var record = await _keys.GetVersionAsync(key.KeyId, number, cancellationToken) ?? throw KmsErrors.KeyVersionNotFound(key.KeyId, number);
            if (record.State != KeyVersionState.Disabled || number == key.PrimaryVersion)
            {
                throw KmsErrors.ApprovalNotAllowed($"Version {number} must be disabled and not primary before its destruction can be requested.");
            }
        }

        var now = _time.GetUtcNow();
        var request = new ApprovalRequest(Guid.NewGuid().ToString("D"),
            version is null ? ApprovalRequest.DestroyKey : ApprovalRequest.DestroyKeyVersion, key.KeyId, version, _access.Principal, reason,
            _options.RequiredApprovals, [], ApprovalStatus.Pending, now, now + _options.ApprovalLifetime);
        return await _approvals.CreateAsync(request, cancellationToken);
    }

    public async Task<ApprovalRequest> GetAsync(string id, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.ReadApprovals, null, null, cancellationToken);
        return WithExpiry(await _approvals.GetAsync(id, cancellationToken) ?? throw KmsErrors.ApprovalNotFound(id));
    }

    /// <summary>Adds the caller's approval. The requester cannot approve; nobody approves twice.</summary>
    public async Task<ApprovalRequest> ApproveAsync(string id, string? comment, CancellationToken cancellationToken)
    {
        await _access.DemandAsync(KmsActions.Approve, null, null, cancellationToken);
        if (comment is { Length: > 512 })
        {
            throw KmsErrors.Validation("'comment' is longer than 512 characters.");
        }

        var approver = _access.Principal;
        for (var attempt = 1; ; attempt++)
        {
            var request = WithExpiry(await _approvals.GetAsync(id, cancellationToken) ?? throw KmsErrors.ApprovalNotFound(id));
            if (request.Status != ApprovalStatus.Pending)
            {
                throw KmsErrors.ApprovalNotAllowed($"Approval request '{id}' is {request.Status.ToString().ToLowerInvariant()}.");
            }

            if (string.Equals(request.RequestedBy, approver, StringComparison.Ordinal))
            {
                throw KmsErrors.ApprovalNotAllowed("The requester of a destructive operation cannot approve it.");
            }

            if (request.Approvals.Any(a => string.Equals(a.Principal, approver, StringComparison.Ordinal)))
            {
                throw KmsErrors.ApprovalNotAllowed($"'{approver}' has already approved this request.");
            }

            var approvals = request.Approvals.Append(new Approval(approver, _time.GetUtcNow(), comment)).ToArray();
            var status = approvals.Length >= request.RequiredApprovals ? ApprovalStatus.Approved : ApprovalStatus.Pending;
            try
            {
                return await _approvals.UpdateAsync(request with { Approvals = approvals, Status = status }, cancellationToken);
            }
            catch (KmsException e) when (e.Code == KmsErrorCodes.ConcurrentModification && attempt < UpdateAttempts)
            {
                // Two approvers at once: re-read and apply ours on top of theirs.
            }
        }
    }

    private ApprovalRequest WithExpiry(ApprovalRequest request) =>
        request.Status == ApprovalStatus.Pending && _time.GetUtcNow() >= request.ExpiresAt ? request with { Status = ApprovalStatus.Expired } : request;
}
