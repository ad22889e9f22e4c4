using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Samples.RevocationSubscriber;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Kms.Bench;

/// <summary>
/// Time to revoke, end to end: from sending <c>POST /api/keys/{id}/revocations</c> until the subscriber's webhook has
/// received <c>Kms.KeyVersionRevoked</c> for that version (KMS -> outbox -> Event Grid stand-in -> webhook), one revocation
/// at a time; beside it the server's own figures from the operation status (request -> revoked, request -> published).
/// </summary>
internal static class RevocationBench
{
    public static async Task<int> RunAsync(Uri baseUrl, int hookPort, int rounds)
    {
        var webhook = new RevocationWebhook(new DataKeyCache());
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{hookPort}"));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var hook = builder.Build();
        webhook.Map(hook, "/kms-events");
        await hook.StartAsync();

        using var client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(1) };
        var issuer = DevTokenIssuer.Load(Environment.GetEnvironmentVariable("Kms__Auth__DevIssuer__SigningKeyFile")!);
        client.DefaultRequestHeaders.Authorization = new("Bearer",
            issuer.Mint("bench", [KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator], KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromHours(1)));

        var answered = new List<double>();
        var heard = new List<double>();
        var revokedMs = new List<double>();
        var publishedMs = new List<double>();
        // The first round also pays for the topic's validation handshake with the webhook: run it, do not count it.
        for (var round = 0; round <= rounds; round++)
        {
            var keyId = (await PostAsync(client, "/api/keys", new { keySpec = "AES_256", description = "revocation benchmark" }, HttpStatusCode.Created))
                .GetProperty("keyId").GetString()!;
            await PostAsync(client, $"/api/keys/{keyId}/rotate", new { }, HttpStatusCode.OK);
            var subject = $"/keys/{keyId}/versions/1";

            var clock = Stopwatch.StartNew();
            var started = await PostAsync(client, $"/api/keys/{keyId}/revocations", new { versions = new[] { 1 }, reason = "benchmark" }, HttpStatusCode.Accepted);
            var answer = clock.Elapsed.TotalMilliseconds;
            while (!webhook.Received.Any(e => e.Type == "Kms.KeyVersionRevoked" && e.Subject == subject))
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    Console.Error.WriteLine($"Kms.KeyVersionRevoked for {subject} did not arrive within 60 s");
                    return 1;
                }

                await Task.Delay(1);
            }

            var arrival = clock.Elapsed.TotalMilliseconds;
            var operationId = started.GetProperty("operationId").GetString()!;
            var timing = await ServerTimingAsync(client, operationId);
            // Leave nothing waiting for approvals behind.
            await PostAsync(client, $"/api/operations/{operationId}/cancel", new { }, HttpStatusCode.OK);
            if (round == 0)
            {
                continue;
            }

            answered.Add(answer);
            heard.Add(arrival);
            revokedMs.Add(timing.RevokedMs);
            if (timing.PublishedMs is { } published)
            {
                publishedMs.Add(published);
            }
        }

        Console.WriteLine(FormattableString.Invariant(
            $"{$"time to revoke ({rounds} keys)",-34} p50={Percentile(heard, 50),7:F1} ms  p95={Percentile(heard, 95),7:F1} ms  max={heard.Max(),7:F1} ms  (request -> event at the webhook)")
            + Scorecard.Open().Record((BenchTargets.RevokeP50Ms, Percentile(heard, 50))));
        Console.WriteLine(FormattableString.Invariant(
            $"{"  of which, server side",-34} revoked p50={Percentile(revokedMs, 50),6:F1} ms  published p50={Percentile(publishedMs, 50),7:F1} ms  answered p50={Percentile(answered, 50),6:F1} ms"));
        await hook.StopAsync();
        return 0;
    }

    private static async Task<(double RevokedMs, double? PublishedMs)> ServerTimingAsync(HttpClient client, string operationId)
    {
        // publishedMs appears once the operation's announce step has seen the events leave the outbox.
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var operation = await client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            if (operation.TryGetProperty("timeToRevoke", out var t) && t.TryGetProperty("publishedMs", out var published) && published.ValueKind == JsonValueKind.Number)
            {
                return (t.GetProperty("revokedMs").GetDouble(), published.GetDouble());
            }

            await Task.Delay(20);
        }

        return (double.NaN, null);
    }

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return response.StatusCode == expected ? json : throw new InvalidOperationException($"POST {path} -> {(int)response.StatusCode}: {json}");
    }

    private static double Percentile(List<double> values, int percentile)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
