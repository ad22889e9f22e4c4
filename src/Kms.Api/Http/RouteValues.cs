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
}
