using System.Diagnostics.CodeAnalysis;
using Kms.Client.AspNetCore.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Client.AspNetCore;

/// <summary>Maps the KMS events webhook.</summary>
public static class KmsEventsEndpointRouteBuilderExtensions
{
    public const string DefaultPattern = "/kms/events";

    /// <summary>
    /// Maps OPTIONS (the validation handshake) and POST (CloudEvents, single or batch) at <paramref name="pattern"/>. Needs
    /// <see cref="KmsEventsServiceCollectionExtensions.AddKmsEvents"/>. Event Grid sends no bearer token: behind a fallback
    /// authorization policy, add <c>.AllowAnonymous()</c> and rely on the shared secret.
    /// </summary>
    public static IEndpointConventionBuilder MapKmsEvents(this IEndpointRouteBuilder endpoints, [StringSyntax("Route")] string pattern = DefaultPattern)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        var endpoint = endpoints.ServiceProvider.GetService<KmsEventsEndpoint>()
            ?? throw new InvalidOperationException("Call services.AddKmsEvents() before endpoints.MapKmsEvents().");
        return endpoints.MapMethods(pattern, [HttpMethods.Options, HttpMethods.Post], endpoint.HandleAsync)
            .WithDisplayName("KMS events webhook");
    }
}
