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
}
