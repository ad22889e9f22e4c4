using System.Globalization;
using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core;
using Kms.Core.Errors;
using Kms.Core.Services;
using Kms.Workflows.Operations;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>Key lifecycle routes: create, list, read, enable/disable, rotate and version state.</summary>
public sealed class KeysHandler
{
    private readonly KeyManager _keys;
    private readonly OperationsService _operations;
    private readonly RequestBody _body;

    public KeysHandler(KeyManager keys, OperationsService operations, RequestBody body)
    {
        _operations = operations;
        _keys = keys;
        _body = body;
    }

    public async Task<IResult> CreateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<CreateKeyRequest>(http.Request, cancellationToken);
        var spec = KeySpecNames.Parse(request.KeySpec ?? throw KmsErrors.MissingField("keySpec"));
        KeyUsage? usage = request.KeyUsage is null ? null : KeyUsageNames.Parse(request.KeyUsage);
        var created = await _keys.CreateKeyAsync(
            new CreateKeyCommand(spec, usage, request.Alias, request.Description, request.Tags, request.DeletionProtection ?? false), cancellationToken);
        KmsRequestContext.Of(http).SetKey(created.Key.KeyId, created.Key.PrimaryVersion);
        return Results.Json(created.ToResponse(), KmsJson.Options, statusCode: StatusCodes.Status201Created);
    }

    public async Task<IResult> ListAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        int? pageSize = null;
        if (query.TryGetValue("pageSize", out var size))
        {
            pageSize = int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed)
                ? parsed
                : throw KmsErrors.Validation("'pageSize' must be a whole number.");
        }

        var page = await _keys.ListKeysAsync(pageSize, query["continuationToken"].FirstOrDefault(), cancellationToken);
        return Results.Json(new KeyListResponse(page.Items.Select(k => k.ToResponse()).ToArray(), page.ContinuationToken), KmsJson.Options);
    }

    public async Task<IResult> GetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var description = await _keys.DescribeKeyAsync(http.RouteValue("keyIdOrAlias"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(description.Key.KeyId);
        return Results.Json(description.ToResponse(), KmsJson.Options);
    }

    public Task<IResult> EnableAsync(HttpContext http, CancellationToken cancellationToken) => SetStateAsync(http, KeyState.Enabled, cancellationToken);

    public Task<IResult> DisableAsync(HttpContext http, CancellationToken cancellationToken) => SetStateAsync(http, KeyState.Disabled, cancellationToken);

    public async Task<IResult> RotateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var (key, version) = await _keys.RotateAsync(http.RouteValue("keyId"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(key.KeyId, version.Version);
        return Results.Json(new RotateKeyResponse(key.KeyId, version.Version, key.PrimaryVersion), KmsJson.Options);
    }

    public async Task<IResult> ListVersionsAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var (key, versions) = await _keys.ListVersionsAsync(http.RouteValue("keyId"), cancellationToken);
        KmsRequestContext.Of(http).SetKey(key.KeyId);
        return Results.Json(new KeyVersionListResponse(key.KeyId, key.PrimaryVersion,
            versions.Select(v => v.ToResponse(key.PrimaryVersion)).ToArray()), KmsJson.Options);
    }

    public Task<IResult> EnableVersionAsync(HttpContext http, CancellationToken cancellationToken) =>
        SetVersionStateAsync(http, KeyVersionState.Enabled, cancellationToken);

    public Task<IResult> DisableVersionAsync(HttpContext http, CancellationToken cancellationToken) =>
        SetVersionStateAsync(http, KeyVersionState.Disabled, cancellationToken);

    /// <summary>Schedules the deletion and starts its operation (the durable timer, then approvals, then destruction).</summary>
    public async Task<IResult> ScheduleDeletionAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadOptionalAsync(http.Request, new ScheduleDeletionRequest(), cancellationToken);
        var client = DurableClients.Of(http);
        var key = await _keys.ScheduleDeletionAsync(http.RouteValue("keyId"), request.WaitingDays, cancellationToken);
        // If this fails after the key changed, the scheduler's scan starts the same operation (its id comes from the deletion date).
        await _operations.EnsureDeletionAsync(client, key, cancellationToken);
        return KeyResult(http, key);
    }

    /// <summary>Cancels the deletion and stops its operation; even a missed stop cannot destroy the key (the date no longer matches).</summary>
    public async Task<IResult> CancelDeletionAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var client = DurableClients.Of(http);
        var key = await _keys.CancelDeletionAsync(http.RouteValue("keyId"), cancellationToken);
        await _operations.StopDeletionAsync(client, key.KeyId, cancellationToken);
        return KeyResult(http, key);
    }

    public async Task<IResult> SetDeletionProtectionAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<DeletionProtectionRequest>(http.Request, cancellationToken);
        var enabled = request.Enabled ?? throw KmsErrors.MissingField("enabled");
        return KeyResult(http, await _keys.SetDeletionProtectionAsync(http.RouteValue("keyId"), enabled, cancellationToken));
    }

    public async Task<IResult> SetRotationPolicyAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<RotationPolicyRequest>(http.Request, cancellationToken);
        return KeyResult(http, await _keys.SetRotationPeriodAsync(http.RouteValue("keyId"), request.RotationPeriodDays, cancellationToken));
    }

    private static IResult KeyResult(HttpContext http, KeyRecord key)
    {
        KmsRequestContext.Of(http).SetKey(key.KeyId);
        return Results.Json(key.ToResponse(), KmsJson.Options);
    }

    private async Task<IResult> SetStateAsync(HttpContext http, KeyState state, CancellationToken cancellationToken)
    {
        return KeyResult(http, await _keys.SetKeyStateAsync(http.RouteValue("keyId"), state, cancellationToken));
    }

    private async Task<IResult> SetVersionStateAsync(HttpContext http, KeyVersionState state, CancellationToken cancellationToken)
    {
        var (key, version) = await _keys.SetVersionStateAsync(http.RouteValue("keyId"), http.VersionRouteValue(), state, cancellationToken);
        KmsRequestContext.Of(http).SetKey(version.KeyId, version.Version);
        return Results.Json(version.ToResponse(key.PrimaryVersion), KmsJson.Options);
    }
}
