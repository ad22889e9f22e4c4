using Kms.Api.Contracts;
using Kms.Api.Http;
using Kms.Core.Events;
using Kms.Core.Ports;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>
/// <c>GET /api/health</c>: per-component status; 503 when any component is down so load balancers drain the instance.
/// Event delivery is reported but does not make the instance unhealthy: it still serves crypto, and draining it
/// would not deliver a single event sooner.
/// </summary>
public sealed class HealthHandler
{
    /// <summary>A pending event older than this marks delivery degraded.</summary>
    public static readonly TimeSpan PendingAlertAge = TimeSpan.FromMinutes(5);

    private readonly IHsm _hsm;
    private readonly IKeyStore _store;
    private readonly IEventDeliveryStatus? _events;
    private readonly TimeProvider _time;

    public HealthHandler(IHsm hsm, IKeyStore store, TimeProvider time, IEventDeliveryStatus? events = null)
    {
        _hsm = hsm;
        _store = store;
        _time = time;
        _events = events;
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
        return Results.Json(new HealthResponse(healthy ? "healthy" : "unhealthy", components, EventDelivery()), KmsJson.Options,
            statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private EventDeliveryResponse? EventDelivery()
    {
        if (_events?.Current is not { } e)
        {
            return null;
        }

        var late = e.Pending > 0 && e.OldestPendingAt is { } oldest && _time.GetUtcNow() - oldest > PendingAlertAge;
        return new EventDeliveryResponse(e.Poisoned > 0 || late ? "degraded" : "ok", e.Published, e.PublishFailures, e.Pending, e.Poisoned,
            e.OldestPendingAt, e.LastSweepAt, e.LastPublishedAt, e.LastError);
    }
}
