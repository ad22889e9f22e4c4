using Kms.Core.Events;
using Kms.Core.Services;
using Kms.Core.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Core.Tests.Services;

/// <summary>The application services wired to in-memory fakes.</summary>
internal sealed class ServiceFixture
{
    public ServiceFixture(KmsOptions? options = null, bool events = true)
    {
        var o = Microsoft.Extensions.Options.Options.Create(options ?? new KmsOptions());
        Catalog = new KeyCatalog(Store, Store, Time, o);
        Events = new ChangeEvents(Microsoft.Extensions.Options.Options.Create(new KmsEventOptions { Enabled = events }), Access, Time);
        Keys = new KeyManager(Store, Store, Hsm, Access, Catalog, Events, Time, o, NullLogger<KeyManager>.Instance);
        Crypto = new CryptoService(Catalog, Hsm, Access, o);
    }

    public InMemoryKeyStore Store { get; } = new();

    public SoftwareHsm Hsm { get; } = new();

    public RecordingAccessGuard Access { get; } = new();

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));

    public KeyCatalog Catalog { get; }

    public ChangeEvents Events { get; }

    public KeyManager Keys { get; }

    public CryptoService Crypto { get; }

    public async Task<string> CreateKeyAsync(KeySpec spec, string? alias = null) =>
        (await Keys.CreateKeyAsync(new CreateKeyCommand(spec, Alias: alias), CancellationToken.None)).Key.KeyId;
}
