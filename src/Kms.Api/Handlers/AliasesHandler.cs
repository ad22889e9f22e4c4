using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Errors;
using Kms.Core.Services;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>Alias routes: PUT creates or re-points an alias, DELETE removes it. Keys are untouched by both.</summary>
public sealed class AliasesHandler
{
    private readonly KeyManager _keys;
    private readonly RequestBody _body;

    public AliasesHandler(KeyManager keys, RequestBody body)
    {
        _keys = keys;
        _body = body;
    }

    public async Task<IResult> PutAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var request = await _body.ReadAsync<PutAliasRequest>(http.Request, cancellationToken);
        var (alias, created) = await _keys.SetAliasAsync(http.RouteValue("alias"), request.KeyId ?? throw KmsErrors.MissingField("keyId"),
            cancellationToken);
        KmsRequestContext.Of(http).SetKey(alias.KeyId);
        return Results.Json(alias.ToResponse(), KmsJson.Options, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    public async Task<IResult> DeleteAsync(HttpContext http, CancellationToken cancellationToken)
    {
        await _keys.DeleteAliasAsync(http.RouteValue("alias"), cancellationToken);
        return Results.NoContent();
    }
}
