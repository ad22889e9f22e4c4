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
        var started = await _operations.StartRotationAsync(DurableClients.Of(http), http.RouteValue("keyId"), cancellationToken);
        var response = ToResponse(started);
        KmsRequestContext.Of(http).SetKey(started.KeyId!);
        http.Response.Headers.Location = response.StatusUrl;
        return Results.Json(response, KmsJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    public async Task<IResult> StartRewrapAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RewrapJobRequest>(http.Request, cancellationToken);
        var keyId = request.KeyId ?? throw KmsErrors.MissingField("keyId");
        var source = request.Source ?? throw KmsErrors.MissingField("source");
        var spec = new RewrapSourceSpec(source.Type ?? throw KmsErrors.MissingField("source.type"), source.Connection ?? throw KmsErrors.MissingField("source.connection"),
            source.Table, source.Column, source.Filter, source.ContextColumn, source.Container, source.Prefix, source.MetadataName);
        var started = await _operations.StartRewrapAsync(DurableClients.Of(http), keyId, request.FromVersions, spec, request.DisableOldVersions ?? false,
            cancellationToken);
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
            v.Progress is { } p ? new RewrapProgressResponse(p.Done, p.Skipped, p.Failed, p.Total, p.ItemsPerSecond, p.EtaSeconds, p.Pass) : null);
}
