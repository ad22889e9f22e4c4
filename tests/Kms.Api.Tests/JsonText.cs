using System.Text.Json.Nodes;
using Kms.Api.Http;

namespace Kms.Api.Tests;

/// <summary>JSON text compared by value and order, not by how its strings happen to be escaped.</summary>
internal static class JsonText
{
    /// <summary>
    /// The same names, order and values, written again with the API's options: the crypto answers write base64 with
    /// '+' as is, while the string contracts they stand for escape it as \u002B; both mean the same string.
    /// </summary>
    public static string Canonical(string json) => JsonNode.Parse(json)!.ToJsonString(KmsJson.Options);
}
