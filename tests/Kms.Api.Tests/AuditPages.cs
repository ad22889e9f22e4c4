using System.Net.Http.Json;
using System.Text.Json;

namespace Kms.Api.Tests;

/// <summary>
/// Every record a GET /api/audit query matches, following its continuation tokens: filters are applied inside stored
/// blocks, so a page can be short (even empty) and still carry a token, as the API documents.
/// </summary>
internal static class AuditPages
{
    public static async Task<List<JsonElement>> ReadAllAsync(HttpClient auditor, string query)
    {
        var records = new List<JsonElement>();
        string? token = null;
        do
        {
            var page = await auditor.GetFromJsonAsync<JsonElement>(
                $"/api/audit?{query}" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)));
            records.AddRange(page.GetProperty("records").EnumerateArray().Select(r => r.Clone()));
            token = page.TryGetProperty("continuationToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (token is not null);

        return records;
    }
}
