using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Ports;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary><c>GET /api/health</c>: per-component status; 503 when any component is down so load balancers drain the instance.</summary>
public sealed class HealthHandler
{
    private readonly IHsm _hsm;
    private readonly IKeyStore _store;

    public HealthHandler(IHsm hsm, IKeyStore store)
    {
        _hsm = hsm;
        _store = store;
    }

    public async Task<IResult> GetAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var hsm = _hsm.CheckHealth();
        var storage = await _store.CheckHealthAsync(cancellationToken);
        var components = new Dictionary<string, ComponentHealthResponse>
        {
            ["hsm"] = new(hsm.Status, hsm.Detail),
            ["storage"] = new(storage.Status, storage.Detail),
        };
        var healthy = hsm.Healthy && storage.Healthy;
        return Results.Json(new HealthResponse(healthy ? "healthy" : "unhealthy", components), KmsJson.Options,
            statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
