using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kms.Cli;

/// <summary>Follows a list route's continuation tokens to the end, as az and aws do for their list commands.</summary>
internal static class Paging
{
    /// <summary>Bounds a misbehaving server that keeps answering with a token.</summary>
    private const int MaxPages = 10_000;

    /// <param name="path">The list route with its filters, e.g. <c>api/operations?type=rotation</c>.</param>
    /// <param name="member">The array member of each page, e.g. <c>keys</c>.</param>
    /// <param name="limit">Stop once this many items are in hand (a filtered audit query can answer short pages).</param>
    public static async Task<PagedItems> AllAsync(KmsConnection connection, string path, string member, string? keyId = null, int limit = int.MaxValue)
    {
        var items = new JsonArray();
        string? token = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var url = token is null ? path : $"{path}{separator}continuationToken={Uri.EscapeDataString(token)}";
            var response = (await connection.GetAsync(url)).EnsureSuccess(keyId);
            JsonNode? body;
            try
            {
                body = JsonNode.Parse(response.Body);
            }
            catch (JsonException)
            {
                body = null;
            }

            if (body?[member] is not JsonArray array)
            {
                throw new CliException($"the KMS answered {response.Status} without '{member}'", ExitCodes.Failure, "is --endpoint (or KMS_ENDPOINT) a KMS?");
            }

            foreach (var item in array.ToArray())
            {
                array.Remove(item);
                if (items.Count < limit)
                {
                    items.Add(item);
                }
            }

            token = body["continuationToken"]?.GetValue<string>();
            if (string.IsNullOrEmpty(token) || items.Count >= limit)
            {
                break;
            }
        }

        return new PagedItems(new JsonObject { [member] = items }, items);
    }
}

/// <summary>Every item of a list: as the API's JSON shape (one page holding all, no token) and typed.</summary>
internal sealed record PagedItems(JsonObject Json, JsonArray Array)
{
    private static readonly JsonSerializerOptions ReadOptions = new(JsonSerializerDefaults.Web);

    public IReadOnlyList<T> Items<T>() => Array.Select(i => i.Deserialize<T>(ReadOptions)!).ToList();
}
