using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kms.Api.Http;

/// <summary>The JSON shape of the API: camelCase, nulls omitted, unknown request fields refused (a typo must not silently drop a field such as the encryption context).</summary>
public static class KmsJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        PropertyNameCaseInsensitive = false,
        AllowTrailingCommas = false,
        ReadCommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };
}
