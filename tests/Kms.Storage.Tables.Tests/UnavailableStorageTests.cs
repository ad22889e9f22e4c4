using System.Net;
using System.Net.Sockets;
using Kms.Core.Errors;

namespace Kms.Storage.Tables.Tests;

/// <summary>What callers see when table storage cannot be reached or is not set up.</summary>
public sealed class UnavailableStorageTests : IAsyncLifetime
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private StoreFixture _unreachable = null!;

    public async Task InitializeAsync() =>
        // Port 1 refuses connections; one short attempt so the test does not wait on back-off.
        _unreachable = await StoreFixture.CreateAsync(
            new Dictionary<string, string?>
            {
                ["ConnectionString"] =
                    $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;",
                ["RequestTimeout"] = "00:00:01",
                ["MaxRetries"] = "0",
            },
            createTables: false);

    public Task DisposeAsync() => _unreachable.DisposeAsync();

    [Fact]
    public async Task GetKeyAsync_UnreachableEndpoint_ThrowsStorageUnavailableWithoutSecrets()
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _unreachable.Keys.GetKeyAsync(Guid.NewGuid().ToString("D"), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
        Assert.Equal(KmsErrorKind.Unavailable, error.Kind);
        Assert.DoesNotContain(AccountKey, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("AccountKey", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GetKeyAsync_EndpointNeverAnswers_ThrowsStorageUnavailable()
    {
        // Arrange: accepts connections and never replies, like a hung storage front end.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var fixture = await StoreFixture.CreateAsync(
            new Dictionary<string, string?>
            {
                ["ConnectionString"] =
                    $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;",
                ["RequestTimeout"] = "00:00:01",
                ["MaxRetries"] = "1",
            },
            createTables: false);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => fixture.Keys.GetKeyAsync(Guid.NewGuid().ToString("D"), CancellationToken.None));
        var health = await fixture.Keys.CheckHealthAsync(CancellationToken.None);

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
        Assert.False(health.Healthy);
    }

    [Fact]
    public async Task CreateKeyAsync_UnreachableEndpoint_ThrowsStorageUnavailable()
    {
        // Arrange
        var key = Records.Key();

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _unreachable.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task CreateAliasAsync_UnreachableEndpoint_ThrowsStorageUnavailable()
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _unreachable.Aliases.CreateAliasAsync(
            new Core.AliasRecord("payments", Guid.NewGuid().ToString("D"), Records.Created, Records.Created), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task GetPolicyAsync_UnreachableEndpoint_ThrowsStorageUnavailable()
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _unreachable.Policies.GetPolicyAsync(Guid.NewGuid().ToString("D"), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task ListForPrincipalAsync_UnreachableEndpoint_ThrowsStorageUnavailable()
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _unreachable.RoleAssignments.ListForPrincipalAsync("alice@example.com", CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task EnsureCreatedAsync_UnreachableEndpoint_ThrowsStorageUnavailable()
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _unreachable.Initializer.EnsureCreatedAsync(CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.StorageUnavailable, error.Code);
    }

    [Fact]
    public async Task CheckHealthAsync_UnreachableEndpoint_ReportsUnhealthy()
    {
        // Act
        var health = await _unreachable.Keys.CheckHealthAsync(CancellationToken.None);

        // Assert
        Assert.False(health.Healthy);
        Assert.Equal("unavailable", health.Status);
        Assert.False(string.IsNullOrEmpty(health.Detail));
        Assert.DoesNotContain(AccountKey, health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckHealthAsync_TablesNotCreated_ReportsUnhealthy()
    {
        // Arrange: Azurite is up, but nobody ran the initializer for this prefix.
        await using var fixture = await StoreFixture.CreateAsync(createTables: false);

        // Act
        var health = await fixture.Keys.CheckHealthAsync(CancellationToken.None);

        // Assert
        Assert.False(health.Healthy);
        Assert.Equal("unavailable", health.Status);
    }

    [Fact]
    public async Task EnsureCreatedAsync_CalledConcurrently_CreatesTablesOnce()
    {
        // Arrange
        await using var fixture = await StoreFixture.CreateAsync(createTables: false);
        using var services = StoreFixture.BuildServices(fixture.Prefix);
        var other = services.GetService(typeof(TableStoreInitializer)) as TableStoreInitializer;
        Assert.NotNull(other);

        try
        {
            // Act
            await Task.WhenAll(
                fixture.Initializer.EnsureCreatedAsync(CancellationToken.None),
                other.EnsureCreatedAsync(CancellationToken.None),
                fixture.Initializer.EnsureCreatedAsync(CancellationToken.None));

            // Assert
            var health = await fixture.Keys.CheckHealthAsync(CancellationToken.None);
            Assert.True(health.Healthy);
        }
        finally
        {
            await DeleteTablesAsync(fixture.Prefix);
        }
    }

    private static async Task DeleteTablesAsync(string prefix)
    {
        await using var services = StoreFixture.BuildServices(prefix);
        var tables = (Internal.KmsTables)services.GetService(typeof(Internal.KmsTables))!;
        foreach (var table in tables.All)
        {
            await table.DeleteAsync();
        }
    }
}
