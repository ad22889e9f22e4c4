using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kms.Storage.Tables.Tests;

public sealed class TableStorageOptionsTests
{
    private static TableStorageOptions Valid() => new() { ConnectionString = "UseDevelopmentStorage=true" };

    [Fact]
    public void Validate_Defaults_UseKmsPrefixFiveSecondsAndTwoRetries()
    {
        // Arrange
        var options = Valid();

        // Act
        options.Validate();

        // Assert
        Assert.Equal("kmskeys", options.KeysTableName);
        Assert.Equal("kmsaliases", options.AliasesTableName);
        Assert.Equal("kmsroleassignments", options.RoleAssignmentsTableName);
        Assert.Equal(TimeSpan.FromSeconds(5), options.RequestTimeout);
        Assert.Equal(2, options.MaxRetries);
    }

    [Fact]
    public void Validate_EndpointWithoutConnectionString_Passes()
    {
        // Arrange
        var options = new TableStorageOptions { TableEndpoint = new Uri("https://account.table.core.windows.net") };

        // Act / Assert
        options.Validate();
    }

    [Theory]
    [InlineData("")]
    [InlineData("1kms")]
    [InlineData("kms-test")]
    [InlineData("kms_test")]
    [InlineData("kmsé")]
    public void Validate_BadTablePrefix_Throws(string prefix)
    {
        // Arrange
        var options = Valid();
        options.TablePrefix = prefix;

        // Act / Assert
        Assert.ThrowsAny<ArgumentException>(options.Validate);
    }

    [Fact]
    public void Validate_LongestPrefix_KeepsEveryTableNameWithin63Characters()
    {
        // Arrange
        var options = Valid();
        options.TablePrefix = "k" + new string('1', TableStorageOptions.MaxTablePrefixLength - 1);

        // Act
        options.Validate();

        // Assert
        Assert.Equal(63, options.RoleAssignmentsTableName.Length);
        Assert.All(new[] { options.KeysTableName, options.AliasesTableName }, n => Assert.True(n.Length <= 63));
    }

    [Fact]
    public void Validate_PrefixOneTooLong_Throws()
    {
        // Arrange
        var options = Valid();
        options.TablePrefix = "k" + new string('1', TableStorageOptions.MaxTablePrefixLength);

        // Act / Assert
        Assert.ThrowsAny<ArgumentException>(options.Validate);
    }

    [Fact]
    public void Validate_NoConnectionStringOrEndpoint_Throws()
    {
        // Arrange
        var options = new TableStorageOptions();

        // Act / Assert
        Assert.ThrowsAny<ArgumentException>(options.Validate);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(-1, 2)]
    [InlineData(5, -1)]
    [InlineData(5, 11)]
    public void Validate_OutOfRangeTimeoutOrRetries_Throws(int timeoutSeconds, int retries)
    {
        // Arrange
        var options = Valid();
        options.RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds);
        options.MaxRetries = retries;

        // Act / Assert
        Assert.ThrowsAny<ArgumentException>(options.Validate);
    }

    [Fact]
    public void AddTableStorage_InvalidSettings_FailsWithOptionsValidationException()
    {
        // Arrange
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionString"] = "UseDevelopmentStorage=true", ["TablePrefix"] = "bad-prefix" })
            .Build();
        using var services = new ServiceCollection().AddTableStorage(section).BuildServiceProvider();

        // Act
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IKeyStore>());

        // Assert
        Assert.Contains("TablePrefix", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTableStorage_BindsSettingsFromSection()
    {
        // Arrange
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["TableEndpoint"] = "https://account.table.core.windows.net",
                ["TablePrefix"] = "prod1",
                ["RequestTimeout"] = "00:00:03",
                ["MaxRetries"] = "1",
            })
            .Build();
        using var services = new ServiceCollection().AddTableStorage(section).BuildServiceProvider();

        // Act
        var options = services.GetRequiredService<IOptions<TableStorageOptions>>().Value;
        var tables = services.GetRequiredService<KmsTables>();

        // Assert
        Assert.Equal(new Uri("https://account.table.core.windows.net"), options.TableEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(3), options.RequestTimeout);
        Assert.Equal(1, options.MaxRetries);
        Assert.Equal("prod1keys", tables.Keys.Name);
        Assert.Equal("prod1aliases", tables.Aliases.Name);
        Assert.Equal("prod1roleassignments", tables.RoleAssignments.Name);
        Assert.NotNull(services.GetRequiredService<IAliasStore>());
        Assert.NotNull(services.GetRequiredService<IKeyPolicyStore>());
        Assert.NotNull(services.GetRequiredService<IRoleAssignmentStore>());
        Assert.NotNull(services.GetRequiredService<TableStoreInitializer>());
    }

    [Fact]
    public void AddTableStorage_MalformedConnectionString_ErrorDoesNotEchoIt()
    {
        // Arrange
        const string secret = "AccountName=x;AccountKey=c2VjcmV0LWtleS12YWx1ZQ==;NoEndpointHere";
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionString"] = secret })
            .Build();
        using var services = new ServiceCollection().AddTableStorage(section).BuildServiceProvider();

        // Act
        var error = Assert.ThrowsAny<Exception>(() => services.GetRequiredService<IKeyStore>());

        // Assert
        Assert.DoesNotContain("c2VjcmV0LWtleS12YWx1ZQ", error.ToString(), StringComparison.Ordinal);
    }
}
