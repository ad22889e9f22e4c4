using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Workflows.Operations;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kms.Api.Handlers;

/// <summary>Long-running operations: start a rotation, read and steer operations (status API).</summary>
public sealed class OperationsHandler
{
    private readonly OperationsService _operations;
    private readonly RequestBody _body;
    private readonly KmsOptions _options;

    public OperationsHandler(OperationsService operations, RequestBody body, IOptions<KmsOptions> options)
    {
        _operations = operations;
        _body = body;
        _options = options.Value;
    }

    public async Task<IResult> StartRotationAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadOptionalAsync(http.Request, new RotationRequest(), cancellationToken);
        var sources = ToSpecs(request.Rewrap?.Sources, "rewrap.sources");
        return Accepted(http, await _operations.StartRotationAsync(DurableClients.Of(http), http.RouteValue("keyId"), cancellationToken, sources,
            request.Rewrap?.DisableOldVersions ?? false));
    }

    public async Task<IResult> StartRewrapAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RewrapJobRequest>(http.Request, cancellationToken);
        var keyId = request.KeyId ?? throw KmsErrors.MissingField("keyId");
        var spec = ToSpec(request.Source ?? throw KmsErrors.MissingField("source"), "source");
        var started = await _operations.StartRewrapAsync(DurableClients.Of(http), keyId, request.FromVersions, spec, request.DisableOldVersions ?? false,
            cancellationToken);
        return Accepted(http, started);
    }

    public async Task<IResult> StartRevocationAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RevocationRequest>(http.Request, cancellationToken);
        var sources = ToSpecs(request.Sources, "sources");
        var started = await _operations.StartRevocationAsync(DurableClients.Of(http), http.RouteValue("keyId"),
            request.Versions ?? throw KmsErrors.MissingField("versions"), request.Reason ?? throw KmsErrors.MissingField("reason"), sources,
            cancellationToken);
        return Accepted(http, started);
    }

    public async Task<IResult> ApproveAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadOptionalAsync(http.Request, new OperationApprovalRequest(), cancellationToken);
        var view = await _operations.ApproveAsync(DurableClients.Of(http), http.RouteValue("operationId"), request.Comment, cancellationToken);
        if (view.KeyId is not null)
        {
            KmsRequestContext.Of(http).SetKey(view.KeyId, view.Version);
        }

        return Results.Json(ToResponse(view), KmsJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    private static RewrapSourceSpec[] ToSpecs(RewrapSourceBody[]? sources, string field) =>
        (sources ?? []).Select((s, i) => ToSpec(s ?? throw KmsErrors.MissingField($"{field}[{i}]"), $"{field}[{i}]")).ToArray();

    private static RewrapSourceSpec ToSpec(RewrapSourceBody source, string field) =>
        new(source.Type ?? throw KmsErrors.MissingField(field + ".type"), source.Connection ?? throw KmsErrors.MissingField(field + ".connection"),
            source.Table, source.Column, source.Filter, source.ContextColumn, source.Container, source.Prefix, source.MetadataName);

    /// <summary>202 with the operation and its status URL in Location.</summary>
    private static IResult Accepted(HttpContext http, OperationView started)
    {
        KmsRequestContext.Of(http).SetKey(started.KeyId!);
        var response = ToResponse(started);
        http.Response.Headers.Location = response.StatusUrl;
        return Results.Json(response, KmsJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    public async Task<IResult> ListAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var q = http.Request.Query;
        var page = await _operations.ListAsync(DurableClients.Of(http), q["type"].FirstOrDefault(), q["keyId"].FirstOrDefault(), q["state"].FirstOrDefault(),
            http.PageSizeQuery(_options), q["continuationToken"].FirstOrDefault(), cancellationToken);
        return Results.Json(new OperationListResponse(page.Items.Select(ToResponse).ToArray(), page.ContinuationToken), KmsJson.Options);
    }

    public Task<IResult> GetAsync(HttpContext http, CancellationToken cancellationToken) =>
        RespondAsync(http, _operations.GetAsync(DurableClients.Of(http), http.RouteValue("operationId"), cancellationToken));

    public Task<IResult> PauseAsync(HttpContext http, CancellationToken cancellationToken) =>
        RespondAsync(http, _operations.PauseAsync(DurableClients.Of(http), http.RouteValue("operationId"), cancellationToken));

    public Task<IResult> ResumeAsync(HttpContext http, CancellationToken cancellationToken) =>
        RespondAsync(http, _operations.ResumeAsync(DurableClients.Of(http), http.RouteValue("operationId"), cancellationToken));

    public Task<IResult> CancelAsync(HttpContext http, CancellationToken cancellationToken) =>
        RespondAsync(http, _operations.CancelAsync(DurableClients.Of(http), http.RouteValue("operationId"), cancellationToken));

    private static async Task<IResult> RespondAsync(HttpContext http, Task<OperationView> operation)
    {
        var view = await operation;
        if (view.KeyId is not null)
        {
            KmsRequestContext.Of(http).SetKey(view.KeyId, view.Version);
        }

        return Results.Json(ToResponse(view), KmsJson.Options);
    }

    internal static OperationResponse ToResponse(OperationView v) =>
        new(v.OperationId, v.Type, v.KeyId, v.State, v.Step, v.Checkpoints, v.Version, v.Error, v.CreatedAt, v.LastUpdatedAt,
            "/api/operations/" + Uri.EscapeDataString(v.OperationId),
            v.Progress is { } p ? new RewrapProgressResponse(p.Done, p.Skipped, p.Failed, p.Total, p.ItemsPerSecond, p.EtaSeconds, p.Pass) : null,
            v.Approvals is { } a
                ? new OperationApprovalsResponse(a.Required, a.RequestedBy,
                    a.Received.Select(r => new OperationApproval(r.Principal, new DateTimeOffset(r.ApprovedAt, TimeSpan.Zero), r.Comment)).ToArray(), a.State,
                    a.ExpiresAt is { } e ? new DateTimeOffset(e, TimeSpan.Zero) : null)
                : null,
            v.TimeToRevoke is { } t ? new TimeToRevokeResponse(Math.Round(t.RevokedMs, 1), t.PublishedMs is { } ms ? Math.Round(ms, 1) : null) : null,
            v.Related,
            v.CompletedAt);
}
