using System.Net;
using System.Net.Http.Json;
using Kms.Client.AspNetCore;
using Kms.Client.Tests.Shared;
using Kms.Testing;
using Xunit.Abstractions;

namespace Kms.Client.Tests.Listener;

/// <summary>
/// The real path: Kms.LocalHost on SoftHSM2 + Azurite with events on publishes to its local Event Grid stand-in, which
/// handshakes with and delivers to MapKmsEvents in a Kestrel app, over HTTP, with the shared secret in the subscription URL.
/// Waits are generous and poll a condition; no duration is asserted.
/// </summary>
public sealed class RevocationListenerEndToEndTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "listener-e2e-shared-secret-0123";

    private ListenerApp _listener = null!;
    private KmsHostFixture _host = null!;

    public async Task InitializeAsync()
    {
        _listener = await ListenerApp.StartAsync(o =>
        {
            o.SharedSecrets.Add(Secret);
            o.AllowedOrigins.Add("eventgrid.azure.net");
        });
        // The host publishes to its own stand-in topic, so its port is fixed before it starts.
        _host = EventGridKmsHost.Create(new Uri($"{_listener.Endpoint}?secret={Secret}"), EventGridKmsHost.FreePort());
        await _host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _listener.DisposeAsync();
    }

    [Fact]
    public async Task KmsChanges_RevokeVersionDisableVersionDisableKey_ListenerEvictsExactlyThoseOnEveryCache()
    {
        var revokedKey = await _host.CreateKeyAsync("AES_256");
        var rotatedKey = await _host.CreateKeyAsync("AES_256");
        var disabledKey = await _host.CreateKeyAsync("AES_256");

        using (var revocation = await _host.Client.PostAsJsonAsync($"/api/keys/{revokedKey}/revocations",
            new { versions = new[] { 1 }, reason = "listener end-to-end test" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, revocation.StatusCode);
        }

        await _host.PostOkAsync($"/api/keys/{rotatedKey}/rotate", new { });
        await _host.PostOkAsync($"/api/keys/{rotatedKey}/versions/1/disable", new { });
        await _host.PostOkAsync($"/api/keys/{disabledKey}/disable", new { });

        Eviction[] expected = [new(revokedKey, 1), new(rotatedKey, 1), new(disabledKey, null)];
        await Eventually.HoldsAsync(() => expected.All(e => _listener.First.Calls.Contains(e) && _listener.Second.Calls.Contains(e)),
            "The listener did not see the expected evictions");

        // Exactly those: the replacement version of the revocation, the rotation and the creations evict nothing.
        // (Delivery is at least once, so a call may repeat; the set is what must match.)
        string[] keys = [revokedKey, rotatedKey, disabledKey];
        foreach (var cache in new[] { _listener.First, _listener.Second })
        {
            Assert.Equal(expected.ToHashSet(), cache.Calls.Where(c => keys.Contains(c.KeyId)).ToHashSet());
        }

        var revoked = _listener.Handler.Received.First(e => e.Type == KmsEventTypes.KeyVersionRevoked && e.KeyId == revokedKey);
        Assert.Equal((1, KmsCacheEviction.KeyVersion, $"/keys/{revokedKey}/versions/1"), (revoked.Version!.Value, revoked.Eviction, revoked.Subject));
        Assert.Equal("listener end-to-end test", revoked.Data!.Value.GetProperty("reason").GetString());
        Assert.Contains(_listener.Handler.Received, e => e.Type == "Kms.KeyCreated" && e.Eviction == KmsCacheEviction.None);
        output.WriteLine($"{_listener.Handler.Received.Count} events reached the listener.");
    }
}
