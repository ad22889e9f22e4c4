using Kms.Api.Http;
using Kms.Workflows.RootRotation;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Handlers;

/// <summary>Root-key rotation of the HSM: started here, then read and steered through the operations routes.</summary>
public sealed class RootRotationHandler
{
    private readonly RootRotationService _rotations;

    public RootRotationHandler(RootRotationService rotations) => _rotations = rotations;

    public async Task<IResult> StartAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var started = await _rotations.StartAsync(DurableClients.Of(http), cancellationToken);
        var response = OperationsHandler.ToResponse(started);
        http.Response.Headers.Location = response.StatusUrl;
        return Results.Json(response, KmsJson.Options, statusCode: StatusCodes.Status202Accepted);
    }
}
