using System.Net;
using System.Net.Sockets;
using Kms.KubernetesPlugin.V2;
using Kms.Testing;

namespace Kms.KubernetesPlugin.Tests;

/// <summary>A KMS host of its own on a fixed port, really stopped and started again under the running plugin.</summary>
public sealed class KmsOutageTests : IAsyncLifetime
{
    private readonly KmsHostFixture _kms = new(new Dictionary<string, string?>(), FreePort());

    public Task InitializeAsync() => _kms.InitializeAsync();

    public Task DisposeAsync() => _kms.DisposeAsync();

    [Fact]
    public async Task Status_KmsHostStoppedThenStarted_UnreachableThenOkAgain()
    {
        var keyId = await _kms.CreateKeyAsync("AES_256");
        await using var plugin = await PluginUnderTest.StartAsync(_kms, keyId, TimeSpan.FromMilliseconds(200));
        var healthy = await plugin.Client.StatusAsync(new StatusRequest());
        Assert.Equal("ok", healthy.Healthz);

        await _kms.StopAsync();
        var down = await Eventually.ReturnsAsync(() => plugin.Client.StatusAsync(new StatusRequest()).ResponseAsync,
            s => s.Healthz != "ok", "Status stayed ok with the KMS stopped");
        Assert.StartsWith("kms unreachable", down.Healthz, StringComparison.Ordinal);
        Assert.Equal("v2", down.Version);
        // The last known key id stays reported while unhealthy.
        Assert.Equal(healthy.KeyId, down.KeyId);

        await _kms.StartAsync();
        var back = await Eventually.ReturnsAsync(() => plugin.Client.StatusAsync(new StatusRequest()).ResponseAsync,
            s => s.Healthz == "ok", "Status did not return to ok after the KMS started again");
        Assert.Equal(healthy.KeyId, back.KeyId);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
