using Microsoft.AspNetCore.Http;

namespace Kms.Api;

/// <summary>
/// One API route, described once and served by both hosts. <see cref="Template"/> is relative to the
/// <c>/api</c> prefix (the Functions route prefix). The types feed the OpenAPI document.
/// </summary>
public sealed record KmsRoute(
    string Name,
    string Method,
    string Template,
    Func<HttpContext, Task<IResult>> Handle,
    Type? RequestType,
    Type? ResponseType,
    int SuccessStatus,
    string Summary,
    string Tag)
{
    /// <summary>The path served, e.g. <c>/api/keys/{keyIdOrAlias}/encrypt</c>.</summary>
    public string Path => "/api/" + Template;

    /// <summary>
    /// The action the route performs (from KmsActions), checked by the services once they know the key; null
    /// for routes any authenticated caller may use (the OpenAPI document) or anonymous ones (health).
    /// </summary>
    public string? Action { get; init; }

    /// <summary>Served without a token (only the health probe).</summary>
    public bool AllowAnonymous { get; init; }

    /// <summary>The body may be omitted (all its fields are optional).</summary>
    public bool BodyOptional { get; init; }

    /// <summary>The cryptographic routes are rate limited per principal.</summary>
    public bool RateLimited => Tag == KmsRoutes.CryptoTag;
}
