using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Kms.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Storage.Tables.Tests;

/// <summary>
/// Stores wired through <see cref="ServiceCollectionExtensions.AddTableStorage"/> against the local Azurite,
/// on tables of their own (a unique prefix) that are created on start and deleted at the end.
/// </summary>
public sealed class StoreFixture : IAsyncLifetime, IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly bool _createTables;

    public StoreFixture()
        : this(LocalStack.UniqueName("t"), overrides: null, createTables: true)
    {
    }

    private StoreFixture(string prefix, IReadOnlyDictionary<string, string?>? overrides, bool createTables)
    {
        Prefix = prefix;
        _createTables = createTables;
        _services = BuildServices(prefix, overrides);
        Keys = _services.GetRequiredService<IKeyStore>();
        Aliases = _services.GetRequiredService<IAliasStore>();
        Policies = _services.GetRequiredService<IKeyPolicyStore>();
        RoleAssignments = _services.GetRequiredService<IRoleAssignmentStore>();
        Audit = _services.GetRequiredService<IAuditStore>();
        Outbox = _services.GetRequiredService<IOutboxStore>();
        Signal = _services.GetRequiredService<Kms.Core.Events.OutboxSignal>();
        Tables = _services.GetRequiredService<KmsTables>();
        Initializer = _services.GetRequiredService<TableStoreInitializer>();
    }

    public string Prefix { get; }

    public IKeyStore Keys { get; }

    public IAliasStore Aliases { get; }

    public IKeyPolicyStore Policies { get; }

    public IRoleAssignmentStore RoleAssignments { get; }


    public IAuditStore Audit { get; }

    public IOutboxStore Outbox { get; }

    public Kms.Core.Events.OutboxSignal Signal { get; }

    /// <summary>The raw table clients, for writing rows the stores would not write (e.g. rows of an older layout).</summary>
    internal KmsTables Tables { get; }

    public TableStoreInitializer Initializer { get; }

    /// <summary>A fixture for one test, with its own tables and optional setting overrides.</summary>
    public static async Task<StoreFixture> CreateAsync(IReadOnlyDictionary<string, string?>? overrides = null, bool createTables = true)
    {
        var fixture = new StoreFixture(LocalStack.UniqueName("t"), overrides, createTables);
        await fixture.InitializeAsync();
        return fixture;
    }

    /// <summary>
    /// The services for the Kms:Storage settings of the environment, with the given overrides; with
    /// <paramref name="auditTakeoverDelay"/>, Kms:Events:AuditTakeoverDelay too (otherwise its default).
    /// </summary>
    public static ServiceProvider BuildServices(string prefix, IReadOnlyDictionary<string, string?>? overrides = null, TimeSpan? auditTakeoverDelay = null)
    {
        var fromEnvironment = LocalStack.Configuration.GetSection(TableStorageOptions.SectionName)
            .AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null);
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(fromEnvironment)
            .AddInMemoryCollection(new Dictionary<string, string?> { ["TablePrefix"] = prefix })
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();
        var services = new ServiceCollection();
        if (auditTakeoverDelay is { } delay)
        {
            services.Configure<Kms.Core.Events.KmsEventOptions>(o => o.AuditTakeoverDelay = delay);
        }

        return services.AddTableStorage(section).BuildServiceProvider();
    }

    public async Task InitializeAsync()
    {
        if (_createTables)
        {
            await Initializer.EnsureCreatedAsync(CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        if (_createTables)
        {
            foreach (var table in Tables.All)
            {
                await table.DeleteAsync();
            }
        }

        await _services.DisposeAsync();
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync());
}
