using Azure.Core;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Kms.Storage.Tables.Rewrap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kms.Storage.Tables.Tests;

/// <summary>
/// Which storage client is built for which settings: a connection string wins, else an endpoint with the token
/// credential (managed identity in Azure), else a start-up error naming the missing setting. No request is sent.
/// </summary>
public sealed class StorageClientSelectionTests
{
    // An Azurite-style connection string whose endpoints cannot be mistaken for the https endpoints below.
    private const string ConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;";

    private readonly CountingCredentialFactory _credential = new();

    [Fact]
    public void KmsTablesCreate_ConnectionStringAndEndpoint_UsesConnectionStringWithoutCredential()
    {
        // Arrange
        var options = new TableStorageOptions { ConnectionString = ConnectionString, TableEndpoint = new Uri("https://prod.table.core.windows.net") };

        // Act
        var tables = KmsTables.Create(options, _credential.Create);

        // Assert
        Assert.Equal("127.0.0.1", tables.Service.Uri.Host);
        Assert.Equal(0, _credential.Created);
    }

    [Fact]
    public void KmsTablesCreate_EndpointOnly_UsesEndpointWithCredential()
    {
        // Arrange
        var options = new TableStorageOptions { TableEndpoint = new Uri("https://prod.table.core.windows.net") };

        // Act
        var tables = KmsTables.Create(options, _credential.Create);

        // Assert
        Assert.Equal("prod.table.core.windows.net", tables.Service.Uri.Host);
        Assert.Equal("prod", tables.Service.AccountName);
        Assert.Equal(1, _credential.Created);
    }

    [Fact]
    public void KmsTablesCreate_NeitherSetting_ThrowsNamingBoth()
    {
        // Arrange
        var options = new TableStorageOptions();

        // Act
        var error = Assert.Throws<ArgumentException>(() => KmsTables.Create(options, _credential.Create));

        // Assert
        Assert.Contains("Kms:Storage:ConnectionString", error.Message, StringComparison.Ordinal);
        Assert.Contains("Kms:Storage:TableEndpoint", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _credential.Created);
    }

    [Fact]
    public void AddTableStorage_EndpointOnly_UsesTheRegisteredTokenCredential()
    {
        // Arrange
        var services = new ServiceCollection();
        var credential = new NeverCalledCredential();
        services.AddSingleton<TokenCredential>(credential);
        services.AddTableStorage(Section(("TableEndpoint", "https://prod.table.core.windows.net")));
        using var provider = services.BuildServiceProvider();

        // Act
        var tables = provider.GetRequiredService<KmsTables>();

        // Assert
        Assert.Equal("prod.table.core.windows.net", tables.Service.Uri.Host);
        Assert.Equal(0, credential.TokensRequested);
    }

    [Fact]
    public void AddTableStorage_NoSetting_FailsOptionsValidationNamingTheSettings()
    {
        // Arrange
        var services = new ServiceCollection();
        services.AddTableStorage(Section());
        using var provider = services.BuildServiceProvider();

        // Act
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TableStorageOptions>>().Value);

        // Assert
        Assert.Contains("Kms:Storage:TableEndpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RewrapSources_NameUnderConnectionsAndAccounts_ConnectionStringWins()
    {
        // Arrange
        var sources = Sources(connections: [("shared", ConnectionString)],
            accounts: [("shared", "https://prod.table.core.windows.net", "https://prod.blob.core.windows.net")]);

        // Act
        var table = sources.TableClientFor(TableSpec("shared"));
        var container = sources.ContainerClientFor(BlobSpec("shared"));

        // Assert
        Assert.Equal("127.0.0.1", table.Uri.Host);
        Assert.Equal("127.0.0.1", container.Uri.Host);
        Assert.Equal(0, _credential.Created);
    }

    [Fact]
    public void RewrapSources_Account_UsesEndpointsWithOneCredential()
    {
        // Arrange
        var sources = Sources(accounts: [("prod", "https://prod.table.core.windows.net", "https://prod.blob.core.windows.net")]);

        // Act
        var table = sources.TableClientFor(TableSpec("prod"));
        var container = sources.ContainerClientFor(BlobSpec("prod"));
        sources.Open(TableSpec("prod"));

        // Assert
        Assert.Equal(new Uri("https://prod.table.core.windows.net/documents"), table.Uri);
        Assert.Equal(new Uri("https://prod.blob.core.windows.net/files"), container.Uri);
        Assert.Equal(1, _credential.Created);
    }

    [Fact]
    public void RewrapSourcesValidate_AccountWithoutBlobEndpoint_NamesTheMissingSetting()
    {
        // Arrange
        var sources = Sources(accounts: [("prod", "https://prod.table.core.windows.net", null)]);

        // Act
        var error = Assert.Throws<KmsException>(() => sources.Validate(BlobSpec("prod")));

        // Assert
        Assert.Equal(KmsErrorCodes.ValidationFailed, error.Code);
        Assert.Contains("Kms:Rewrap:Accounts:prod:BlobEndpoint", error.Message, StringComparison.Ordinal);
        sources.Validate(TableSpec("prod")); // the table side is configured
    }

    [Fact]
    public void RewrapSourcesValidate_UnknownName_ListsConnectionsAndAccounts()
    {
        // Arrange
        var sources = Sources(connections: [("local", ConnectionString)], accounts: [("prod", "https://prod.table.core.windows.net", null)]);

        // Act
        var error = Assert.Throws<KmsException>(() => sources.Validate(TableSpec("other")));

        // Assert
        Assert.Contains("Kms:Rewrap:Accounts", error.Message, StringComparison.Ordinal);
        Assert.Contains("local, prod", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddRewrapSources_BindsAccountsFromConfiguration()
    {
        // Arrange
        var services = new ServiceCollection();
        services.AddSingleton<TokenCredential>(new NeverCalledCredential());
        services.AddRewrapSources(Section(("Accounts:prod:BlobEndpoint", "https://prod.blob.core.windows.net")));
        using var provider = services.BuildServiceProvider();
        var sources = (RewrapSources)provider.GetRequiredService<IRewrapSources>();

        // Act
        var container = sources.ContainerClientFor(BlobSpec("prod"));

        // Assert
        Assert.Equal(new Uri("https://prod.blob.core.windows.net/files"), container.Uri);
    }

    private RewrapSources Sources((string Name, string Value)[]? connections = null, (string Name, string? Table, string? Blob)[]? accounts = null)
    {
        var options = new RewrapOptions();
        foreach (var (name, value) in connections ?? [])
        {
            options.Connections[name] = value;
        }

        foreach (var (name, table, blob) in accounts ?? [])
        {
            options.Accounts[name] = new RewrapAccountOptions
            {
                TableEndpoint = table is null ? null : new Uri(table),
                BlobEndpoint = blob is null ? null : new Uri(blob),
            };
        }

        return new RewrapSources(Options.Create(options), _credential.Create);
    }

    private static RewrapSourceSpec TableSpec(string connection) => new(RewrapSourceSpec.TableType, connection, Table: "documents", Column: "Secret");

    private static RewrapSourceSpec BlobSpec(string connection) => new(RewrapSourceSpec.BlobType, connection, Container: "files");

    private static IConfiguration Section(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    private sealed class CountingCredentialFactory
    {
        public int Created { get; private set; }

        public TokenCredential Create()
        {
            Created++;
            return new NeverCalledCredential();
        }
    }

    /// <summary>A credential for tests that build clients without sending a request: counts token requests.</summary>
    private sealed class NeverCalledCredential : TokenCredential
    {
        public int TokensRequested { get; private set; }

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            TokensRequested++;
            throw new InvalidOperationException("No token in unit tests.");
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
