using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Services;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>Key policies, policy simulation and role assignments.</summary>
public sealed class AccessHandler
{
    private readonly AccessAdministration _access;
    private readonly RequestBody _body;

    public AccessHandler(AccessAdministration access, RequestBody body)
    {
        _access = access;
        _body = body;
    }

    /// <summary>The policy document itself, so GET, edit, PUT round-trips.</summary>
    public async Task<IResult> GetPolicyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var keyId = http.RouteValue("keyId");
        var policy = await _access.GetPolicyAsync(keyId, cancellationToken) ?? throw KmsErrors.PolicyNotFound(keyId);
        KmsRequestContext.Of(http).SetKey(policy.KeyId);
        return Results.Text(policy.Document, "application/json");
    }

    public async Task<IResult> PutPolicyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var document = await _body.ReadJsonTextAsync(http.Request, cancellationToken);
        var stored = await _access.PutPolicyAsync(http.RouteValue("keyId"), document, cancellationToken);
        KmsRequestContext.Of(http).SetKey(stored.KeyId);
        return Results.Text(stored.Document, "application/json");
    }

    public async Task<IResult> SimulateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<SimulateRequest>(http.Request, cancellationToken);
        var caller = new KmsCaller(request.Principal ?? throw KmsErrors.MissingField("principal"), request.Roles ?? [],
            AccessAdministration.ParseAddress(request.CallerAddress));
        var decision = await _access.SimulateAsync(caller, request.Action ?? throw KmsErrors.MissingField("action"), request.KeyId,
            request.Context, cancellationToken);
        return Results.Json(new SimulateResponse(decision.Allowed, ToWire(decision.Source), decision.Reason), KmsJson.Options);
    }

    public async Task<IResult> ListAssignmentsAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var assignments = await _access.ListAssignmentsAsync(http.Request.Query["principal"].FirstOrDefault(), cancellationToken);
        return Results.Json(new RoleAssignmentListResponse(assignments.Select(a => a.ToResponse()).ToArray()), KmsJson.Options);
    }

    public async Task<IResult> CreateAssignmentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RoleAssignmentRequest>(http.Request, cancellationToken);
        var assignment = await _access.AssignRoleAsync(request.Principal ?? throw KmsErrors.MissingField("principal"),
            request.Role ?? throw KmsErrors.MissingField("role"), request.Scope ?? RoleGrant.AllKeys, cancellationToken);
        return Results.Json(assignment.ToResponse(), KmsJson.Options, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> DeleteAssignmentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        await _access.DeleteAssignmentAsync(http.RouteValue("assignmentId"), cancellationToken);
        return Results.NoContent();
    }

    private static string ToWire(DecisionSource source) => source switch
    {
        DecisionSource.Role => "ROLE",
        DecisionSource.AllowStatement => "ALLOW_STATEMENT",
        DecisionSource.DenyStatement => "DENY_STATEMENT",
        _ => "DEFAULT_DENY",
    };
}
