using System.Globalization;
using Kms.Core.Errors;
using Microsoft.AspNetCore.Http;

namespace Kms.Api.Http;

internal static class RouteValues
{
    public static string RouteValue(this HttpContext http, string name) =>
        http.Request.RouteValues[name] as string is { Length: > 0 } value
            ? Uri.UnescapeDataString(value)
            : throw KmsErrors.MissingField(name);

    public static int VersionRouteValue(this HttpContext http) =>
        int.TryParse(http.RouteValue("version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw KmsErrors.Validation("The version in the path must be a positive whole number.");

    /// <summary>The <c>pageSize</c> query value, or the default; ValidationFailed when outside 1..max.</summary>
    public static int PageSizeQuery(this HttpContext http, Kms.Core.KmsOptions options) =>
        http.Request.Query["pageSize"].FirstOrDefault() is { } size
            ? int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 && n <= options.MaxPageSize
                ? n
                : throw KmsErrors.Validation($"'pageSize' must be between 1 and {options.MaxPageSize}.")
            : options.DefaultPageSize;
}
