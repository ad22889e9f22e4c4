using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Azure.Messaging;
using Kms.Samples.RevocationSubscriber;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Kms.Api.Tests;

/// <summary>
/// The whole path, real parts only: the KMS writes events with its changes, the dispatcher publishes them with
/// EventGridPublisherClient to the stand-in topic in the same Kms.LocalHost, and the topic pushes them to the
/// revocation subscriber of samples/ over HTTP. Waits are generous; delays are printed, never asserted.
/// </summary>
public sealed class EventDeliveryTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly ITestOutputHelper _output;
    private readonly int _subscriberPort = EventGridKmsHost.FreePort();
    private readonly KmsHostFixture _host;
    private Subscriber _subscriber = null!;

    public EventDeliveryTests(ITestOutputHelper output)
    {
        _output = output;
        _host = EventGridKmsHost.Create(new Uri($"http://127.0.0.1:{_subscriberPort}/kms-events"), EventGridKmsHost.FreePort(), "revocations");
    }

    public async Task InitializeAsync()
    {
        _subscriber = await Subscriber.StartAsync(_subscriberPort, new DataKeyCache());
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _subscriber.DisposeAsync();
    }

    [Fact]
    public async Task DisableKey_TheSubscriberHearsKeyDisabled_AndDropsItsCachedDataKeys()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        _subscriber.Cache.Add(keyId, 1, "dek-1", [1, 2, 3, 4]);

        var clock = Stopwatch.StartNew();
        using var response = await _host.Client.PostAsync($"/api/keys/{keyId}/disable", null);
        response.EnsureSuccessStatusCode();
        var requestId = response.Headers.GetValues("x-request-id").Single();

        var disabled = await WaitForAsync(() => _subscriber.Webhook.Received.FirstOrDefault(e => e.Type == "Kms.KeyDisabled" && e.Subject == "/keys/" + keyId));
        _output.WriteLine($"Kms.KeyDisabled reached the subscriber {clock.Elapsed.TotalMilliseconds:F0} ms after the disable call returned.");

        Assert.Equal("/kms", disabled.Source);
        Assert.Equal("application/json", disabled.DataContentType);
        var data = JsonDocument.Parse(disabled.Data!.ToMemory()).RootElement;
        Assert.Equal(keyId, data.GetProperty("keyId").GetString());
        Assert.Equal("DISABLED", data.GetProperty("keyState").GetString());
        Assert.Equal(requestId, data.GetProperty("requestId").GetString());
        Assert.Equal(KmsHostFixture.AdminPrincipal, data.GetProperty("principal").GetString());
        Assert.False(_subscriber.Cache.TryGet(keyId, 1, "dek-1", out _));
        Assert.True(_subscriber.Cache.IsBlocked(keyId));

        // The audit record of the same request arrives in the audit stream.
        var audited = await WaitForAsync(() => _subscriber.Webhook.Received.Where(e => e.Type == "Kms.AuditRecord")
            .FirstOrDefault(e => e.Data!.ToString().Contains(requestId, StringComparison.Ordinal)));
        Assert.StartsWith("/audit/", audited.Subject, StringComparison.Ordinal);
        _output.WriteLine($"Its audit record arrived {clock.Elapsed.TotalMilliseconds:F0} ms after the call.");
    }

    [Fact]
    public async Task Revocation_RefusedAtOnce_Announced_Replaced_Rewrapped_ThenDestroyedOnlyAfterTwoApprovals()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        var flow = new StoredCiphertexts(_host);
        await flow.SeedAsync(keyId, 150);
        var onVersion1 = (await flow.Table.GetEntityAsync<Azure.Data.Tables.TableEntity>("p", "r0000")).Value.GetString("Secret");
        _subscriber.Cache.Add(keyId, 1, "dek-1", [1, 2, 3, 4]);

        var clock = Stopwatch.StartNew();
        var started = await _host.PostOkAsync($"/api/keys/{keyId}/revocations",
            new { versions = new[] { 1 }, reason = "key material exposed in a crash dump", sources = new[] { flow.Source } });
        var answeredMs = clock.Elapsed.TotalMilliseconds;
        var operationId = started.GetProperty("operationId").GetString()!;
        Assert.StartsWith($"revocation-{keyId}-", operationId, StringComparison.Ordinal);

        // Refused the moment the request has answered, with its own code.
        using (var refused = await _host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = onVersion1 }))
        {
            await Problems.AssertProblemAsync(refused, 409, KmsErrorCodes.KeyVersionRevoked);
        }

        var revoked = await WaitForAsync(() => _subscriber.Webhook.Received.FirstOrDefault(e => e.Type == "Kms.KeyVersionRevoked"
            && e.Subject == $"/keys/{keyId}/versions/1"));
        var heardMs = clock.Elapsed.TotalMilliseconds;
        var data = JsonDocument.Parse(revoked.Data!.ToMemory()).RootElement;
        Assert.Equal("key material exposed in a crash dump", data.GetProperty("reason").GetString());
        Assert.Equal(operationId, data.GetProperty("operationId").GetString());
        Assert.False(_subscriber.Cache.TryGet(keyId, 1, "dek-1", out _));

        // The replacement is primary, the stored items were moved onto it, and the operation waits for approvals.
        var waiting = await _host.WaitForStepAsync(operationId, "awaiting-approvals");
        var checkpoints = waiting.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()!).ToArray();
        Assert.Equal(new[] { "revoked", "announced", "replacement-promoted", "rewrapped-1" }, checkpoints);
        Assert.Equal(2, waiting.GetProperty("version").GetInt32());
        var timing = waiting.GetProperty("timeToRevoke");
        _output.WriteLine($"Time to revoke: revoked {timing.GetProperty("revokedMs").GetDouble():F1} ms, published " +
            $"{timing.GetProperty("publishedMs")} ms after the request (server side); the request answered in {answeredMs:F0} ms and the " +
            $"subscriber heard Kms.KeyVersionRevoked {heardMs:F0} ms after it was sent.");
        Assert.Equal(JsonValueKind.Number, timing.GetProperty("publishedMs").ValueKind);
        var campaign = waiting.GetProperty("relatedOperations").EnumerateArray().Single().GetString()!;
        Assert.Equal("COMPLETED", (await _host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{campaign}")).GetProperty("state").GetString());
        await flow.AssertAllOnVersionAsync(keyId, 2);
        Assert.Equal("REVOKED", await flow.VersionStateAsync(keyId, 1));

        // Approvals: never the requester, never twice; one is not enough.
        // The requester, even holding the approver role, cannot approve.
        using var requester = _host.CreateClient(KmsHostFixture.AdminPrincipal, KmsRoles.Approver);
        using (var own = await requester.PostAsJsonAsync($"/api/operations/{operationId}/approvals", new { comment = "mine" }))
        {
            await Problems.AssertProblemAsync(own, 409, KmsErrorCodes.ApprovalNotAllowed);
        }

        using var first = _host.CreateClient("approver-1", KmsRoles.Approver);
        using var second = _host.CreateClient("approver-2", KmsRoles.Approver);
        using (var approved = await first.PostAsJsonAsync($"/api/operations/{operationId}/approvals", new { comment = "confirmed with security" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        var afterOne = await WaitForAsync(async () =>
        {
            var op = await _host.Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            return op.GetProperty("approvals").GetProperty("received").GetArrayLength() == 1 ? (object)op : null;
        });
        using (var again = await first.PostAsJsonAsync($"/api/operations/{operationId}/approvals", new { }))
        {
            await Problems.AssertProblemAsync(again, 409, KmsErrorCodes.ApprovalNotAllowed);
        }

        Assert.Equal("RUNNING", ((JsonElement)afterOne).GetProperty("state").GetString());
        Assert.Equal("REVOKED", await flow.VersionStateAsync(keyId, 1));

        using (var approved = await second.PostAsync($"/api/operations/{operationId}/approvals", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, approved.StatusCode);
        }

        var done = await _host.WaitForOperationAsync(operationId, "COMPLETED");
        Assert.Contains("destroyed", done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal("approved", done.GetProperty("approvals").GetProperty("state").GetString());
        Assert.Equal("DESTROYED", await flow.VersionStateAsync(keyId, 1));
        await WaitForAsync(() => _subscriber.Webhook.Received.FirstOrDefault(e => e.Type == "Kms.KeyDestroyed" && e.Subject == $"/keys/{keyId}/versions/1"));
        using (var enable = await _host.Client.PostAsync($"/api/keys/{keyId}/versions/1/enable", null))
        {
            await Problems.AssertProblemAsync(enable, 409, KmsErrorCodes.KeyVersionDestroyed);
        }

        // The rewrapped items still decrypt under the replacement after the old material is gone.
        await flow.AssertAllOnVersionAsync(keyId, 2);
    }

    [Fact]
    public async Task SubscriberAndKmsStopMidStream_EveryEventStillArrives_ExactlyOncePerIdAfterDeduplication()
    {
        var keys = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            keys.Add(await _host.CreateKeyAsync("AES_256"));
        }

        var expected = new List<(string Type, string Subject)>();
        async Task ToggleAsync(int rounds)
        {
            for (var round = 0; round < rounds; round++)
            {
                foreach (var keyId in keys)
                {
                    var disable = expected.Count(e => e.Subject == "/keys/" + keyId) % 2 == 0;
                    using var response = await _host.Client.PostAsync($"/api/keys/{keyId}/{(disable ? "disable" : "enable")}", null);
                    response.EnsureSuccessStatusCode();
                    expected.Add((disable ? "Kms.KeyDisabled" : "Kms.KeyEnabled", "/keys/" + keyId));
                }
            }
        }

        await ToggleAsync(2);
        // The subscriber goes away: deliveries fail and are retried by the topic.
        await _subscriber.DisposeAsync();
        await ToggleAsync(2);
        // Then the KMS itself stops (with whatever its outbox and the topic still hold) and comes back.
        await _host.StopAsync();
        _subscriber = await Subscriber.StartAsync(_subscriberPort, _subscriber.Cache, _subscriber.Webhook);
        await _host.StartAsync();
        await ToggleAsync(2);

        var clock = Stopwatch.StartNew();
        await WaitForAsync(() => Lifecycle().Count >= expected.Count ? "done" : null);
        _output.WriteLine($"All {expected.Count} events arrived {clock.Elapsed.TotalMilliseconds:F0} ms after the last change; " +
            $"{_subscriber.Webhook.Duplicates} duplicate deliveries were dropped by id.");

        var received = Lifecycle();
        Assert.Equal(received.Count, received.Select(e => e.Id).Distinct().Count());
        Assert.Equal(expected.Count, received.Count);
        foreach (var keyId in keys)
        {
            // Per key, the same changes in the same order: nothing lost, nothing invented, nothing published twice under two ids.
            Assert.Equal(expected.Where(e => e.Subject == "/keys/" + keyId).Select(e => e.Type),
                received.Where(e => e.Subject == "/keys/" + keyId).OrderBy(e => e.Time).Select(e => e.Type));
        }

        List<CloudEvent> Lifecycle() => _subscriber.Webhook.Received
            .Where(e => e.Type is "Kms.KeyDisabled" or "Kms.KeyEnabled" && keys.Any(k => e.Subject == "/keys/" + k)).ToList();
    }

    [Fact]
    public async Task Health_ReportsDeliveredAndPending()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        using (var response = await _host.Client.PostAsync($"/api/keys/{keyId}/disable", null))
        {
            response.EnsureSuccessStatusCode();
        }

        var text = await WaitForAsync(async () =>
        {
            var health = await _host.Client.GetFromJsonAsync<JsonElement>("/api/health");
            return health.TryGetProperty("events", out var e) && e.GetProperty("published").GetInt64() >= 2 ? e.GetRawText() : null;
        });
        var events = JsonDocument.Parse(text).RootElement;

        Assert.Equal("ok", events.GetProperty("status").GetString());
        Assert.Equal(0, events.GetProperty("poisoned").GetInt64());
        Assert.True(events.GetProperty("pending").GetInt64() >= 0);
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe) where T : class => await WaitForAsync(() => Task.FromResult(probe()));

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Nothing arrived within {Patience.TotalSeconds} s.");
            await Task.Delay(100);
        }
    }


    /// <summary>The sample subscriber on a fixed port, so the subscription's endpoint survives its restart.</summary>
    private sealed class Subscriber : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Subscriber(WebApplication app, DataKeyCache cache, RevocationWebhook webhook)
        {
            _app = app;
            Cache = cache;
            Webhook = webhook;
        }

        public DataKeyCache Cache { get; }

        public RevocationWebhook Webhook { get; }

        /// <param name="webhook">The previous run's webhook: its de-duplication memory stands for the subscriber's durable store.</param>
        public static async Task<Subscriber> StartAsync(int port, DataKeyCache cache, RevocationWebhook? webhook = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            webhook ??= new RevocationWebhook(cache);
            webhook.Map(app, "/kms-events");
            await app.StartAsync();
            return new Subscriber(app, cache, webhook);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
