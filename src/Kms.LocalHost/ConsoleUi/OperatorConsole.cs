using System.Reflection;

namespace Kms.LocalHost.ConsoleUi;

/// <summary>
/// The operator console at <c>/console</c>: a static page (HTML, one script, one stylesheet, embedded in this assembly)
/// that reads the KMS API and <c>/metrics</c> with the bearer token the operator pastes into it. The page holds no
/// secrets, so it is served without a token; everything it shows comes from the API, which still requires one.
/// </summary>
internal static class OperatorConsole
{
    public const string PathBase = "/console";

    /// <summary>Same origin only, no inline script or style, no framing: API strings the page renders cannot run.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Assembly Assembly = typeof(OperatorConsole).Assembly;

    /// <summary>Asset name → content type. Only these are served; any other path under /console is a 404.</summary>
    private static readonly Dictionary<string, string> Assets = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["console.js"] = "text/javascript; charset=utf-8",
        ["console.css"] = "text/css; charset=utf-8",
    };

    public static void MapOperatorConsole(this WebApplication app)
    {
        // Routing ignores a trailing slash, so this one endpoint answers /console and /console/ (a second would be ambiguous).
        app.MapGet(PathBase, (HttpContext http) => ServeAsync(http, "index.html")).ExcludeFromDescription();
        app.MapGet(PathBase + "/{asset}", (HttpContext http, string asset) => ServeAsync(http, asset)).ExcludeFromDescription();
    }

    private static async Task ServeAsync(HttpContext http, string asset)
    {
        if (!Assets.TryGetValue(asset, out var contentType) || Assembly.GetManifestResourceStream(ResourceName(asset)) is not { } stream)
        {
            // An empty 404: the status-code page writes the usual ProblemDetails.
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await using (stream)
        {
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // Small files that change with the host; always revalidated, so a new host version shows at once.
            headers.CacheControl = "no-cache";
            http.Response.ContentType = contentType;
            http.Response.ContentLength = stream.Length;
            await stream.CopyToAsync(http.Response.Body, http.RequestAborted);
        }
    }

    internal static string ResourceName(string asset) => "Kms.LocalHost.ConsoleUi." + asset;
}
