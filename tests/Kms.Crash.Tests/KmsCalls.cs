using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Kms.Crash.Tests;

/// <summary>The few API calls the crash tests make, over plain HTTP and JSON as any client would.</summary>
internal static class KmsCalls
{
    public static async Task<JsonElement> PostOkAsync(this HttpClient client, string path, object? body)
    {
        using var response = await client.PostAsJsonAsync(path, body ?? new { });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> GetOkAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<string> CreateKeyAsync(this HttpClient client, string keySpec) =>
        (await client.PostOkAsync("/api/keys", new { keySpec })).GetProperty("keyId").GetString()!;

    /// <summary>
    /// Polls GET /api/operations/{id} until <paramref name="until"/> holds. Connection errors and error answers
    /// (a host just started again, the engine not yet connected) are retried until the deadline; an operation that
    /// ends in FAILED or CANCELED fails the test at once.
    /// </summary>
    public static async Task<JsonElement> PollOperationAsync(this HttpClient client, string operationId, Func<JsonElement, bool> until,
        TimeSpan timeout, string waitingFor, Func<string>? diagnostics = null)
    {
        var elapsed = Stopwatch.StartNew();
        var last = "no answer yet";
        while (elapsed.Elapsed < timeout)
        {
            try
            {
                using var response = await client.GetAsync($"/api/operations/{operationId}");
                var body = await response.Content.ReadAsStringAsync();
                last = $"{(int)response.StatusCode}: {body}";
                if (response.IsSuccessStatusCode)
                {
                    var operation = JsonDocument.Parse(body).RootElement.Clone();
                    if (until(operation))
                    {
                        return operation;
                    }

                    if (operation.GetProperty("state").GetString() is "FAILED" or "CANCELED")
                    {
                        Assert.Fail($"Operation {operationId} ended while waiting for {waitingFor}: {operation}");
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Operation {operationId}: no {waitingFor} within {timeout.TotalSeconds} s; last answer {last}"
            + (diagnostics is null ? "" : $"{Environment.NewLine}host log:{Environment.NewLine}{diagnostics()}"));
        return default;
    }

    public static string? State(this JsonElement operation) => operation.GetProperty("state").GetString();

    /// <summary>A field as text for test output; "-" when the answer leaves it out.</summary>
    public static string Field(this JsonElement operation, string name) =>
        operation.TryGetProperty(name, out var value) ? value.ToString() : "-";
}
