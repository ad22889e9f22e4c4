using Kms.Client.AspNetCore;
using Kms.Client.Models;
using Kms.Client.Tests.Client;
using Kms.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging;

namespace Kms.Client.Tests.Listener;

/// <summary>KmsClientKeyStateSource against the real KMS, and which source AddKmsRevocationPolling resolves.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientKeyStateSourceTests(KmsHostFixture host)
{
    private readonly KmsClient _admin = KmsTestClients.Admin(host);

    [Fact]
    public async Task GetKeyStatusAsync_KeyWithDisabledVersion_ReportsKeyAndEveryVersionState()
    {
        var keyId = (await _admin.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        await _admin.RotateKeyAsync(keyId);
        await _admin.DisableKeyVersionAsync(keyId, 1);
        var source = new KmsClientKeyStateSource(KmsTestClients.Create(host, "poller", KmsRoles.Auditor));

        var status = await source.GetKeyStatusAsync(keyId, CancellationToken.None);

        Assert.NotNull(status);
        Assert.Equal((keyId, KmsStates.Enabled), (status.KeyId, status.State));
        Assert.Equal([new KmsVersionState(1, KmsStates.Disabled), new KmsVersionState(2, KmsStates.Enabled)], status.Versions.OrderBy(v => v.Version));
    }

    [Fact]
    public async Task GetKeyStatusAsync_UnknownKey_ReturnsNull()
    {
        var source = new KmsClientKeyStateSource(_admin);

        Assert.Null(await source.GetKeyStatusAsync(Guid.NewGuid().ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task GetKeyStatusAsync_AccessDenied_Throws()
    {
        var keyId = (await _admin.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var source = new KmsClientKeyStateSource(KmsTestClients.Create(host, "crypto-only", KmsRoles.Crypto));

        var failure = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => source.GetKeyStatusAsync(keyId, CancellationToken.None));

        Assert.Equal((403, "AccessDenied"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public void AddKmsRevocationPolling_KmsClientInDi_UsesKmsClientKeyStateSource()
    {
        using var services = Services(s => s.AddKmsRevocationPolling(o => o.KeyIds.Add("k")));

        Assert.IsType<KmsClientKeyStateSource>(services.GetRequiredService<IKmsKeyStateSource>());
    }

    [Fact]
    public void AddKmsRevocationPolling_AppSourceRegisteredBeforeOrAfter_AppSourceWins()
    {
        var before = new FakeKeyStateSource();
        var after = new FakeKeyStateSource();
        using var first = Services(s => s.AddSingleton<IKmsKeyStateSource>(before).AddKmsRevocationPolling(o => o.KeyIds.Add("k")));
        using var last = Services(s => s.AddKmsRevocationPolling(o => o.KeyIds.Add("k")).AddSingleton<IKmsKeyStateSource>(after));

        Assert.Same(before, first.GetRequiredService<IKmsKeyStateSource>());
        Assert.Same(after, last.GetRequiredService<IKmsKeyStateSource>());
    }

    [Fact]
    public void AddKmsRevocationPolling_NeitherSourceNorKmsClient_ResolvingTheSourceNamesKmsClient()
    {
        var services = new ServiceCollection().AddKmsRevocationPolling(o => o.KeyIds.Add("k"));
        using var provider = services.BuildServiceProvider();

        var failure = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IKmsKeyStateSource>());

        Assert.Contains(typeof(KmsClient).FullName!, failure.Message, StringComparison.Ordinal);
    }

    private ServiceProvider Services(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection().AddSingleton(_admin).AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance);
        configure(services);
        return services.BuildServiceProvider();
    }
}
