using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Services;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>M-of-N approvals for destroying keys and key versions.</summary>
public sealed class ApprovalsHandler
{
    private readonly ApprovalService _approvals;
    private readonly RequestBody _body;

    public ApprovalsHandler(ApprovalService approvals, RequestBody body)
    {
        _approvals = approvals;
        _body = body;
    }

    public async Task<IResult> RequestDestructionAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = http.Request.ContentLength is null or 0 ? new DestructionRequest() : await _body.ReadAsync<DestructionRequest>(http.Request, cancellationToken);
        var created = await _approvals.RequestDestructionAsync(http.RouteValue("keyId"), request.Version, request.Reason, cancellationToken);
        KmsRequestContext.Of(http).SetKey(created.KeyId, created.Version);
        return Results.Json(created.ToResponse(), KmsJson.Options, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> GetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _approvals.GetAsync(http.RouteValue("approvalId"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(request.KeyId, request.Version);
        return Results.Json(request.ToResponse(), KmsJson.Options);
    }

    public async Task<IResult> ApproveAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var body = http.Request.ContentLength is null or 0 ? new ApproveRequest() : await _body.ReadAsync<ApproveRequest>(http.Request, cancellationToken);
        var request = await _approvals.ApproveAsync(http.RouteValue("approvalId"), body.Comment, cancellationToken);
        KmsRequestContext.Of(http).SetKey(request.KeyId, request.Version);
        return Results.Json(request.ToResponse(), KmsJson.Options);
    }
}
