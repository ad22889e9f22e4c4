using System.Collections.Concurrent;
using Kms.LocalHost.Workflows;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kms.Workflows.Engine.Tests;

/// <summary>Settings and registration, without storage: bad settings stop the host before it touches Azurite.</summary>
public sealed class LocalWorkflowEngineOptionsTests
{
    private const string UnusedConnectionString = "UseDevelopmentStorage=true";

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddLocalWorkflowEngine(configuration.GetSection("Kms"), TestTasks.Register);
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task AddLocalWorkflowEngine_NoWorkflowSettings_UsesDefaultsAndHubFromTablePrefix()
    {
        // The gRPC client is only IAsyncDisposable.
        await using var services = Services(new() { ["Kms:Storage:ConnectionString"] = UnusedConnectionString, ["Kms:Storage:TablePrefix"] = "t1" });

        var options = services.GetRequiredService<IOptions<LocalWorkflowEngineOptions>>().Value;

        Assert.Equal("t1hub", options.TaskHubName);
        Assert.Equal(TimeSpan.FromMinutes(1), options.WorkItemVisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ControlQueueVisibilityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxQueuePollingInterval);
        Assert.Equal(1, options.PartitionCount);
        Assert.NotNull(services.GetService<DurableTaskClient>());
    }

    [Fact]
    public async Task AddLocalWorkflowEngine_Disabled_RegistersNothing()
    {
        await using var services = Services(new() { ["Kms:Workflows:Enabled"] = "false" });

        Assert.Null(services.GetService<DurableTaskClient>());
        Assert.Empty(services.GetServices<IHostedService>());
    }

    [Theory]
    [InlineData("Kms:Workflows:TaskHubName", "ab", "TaskHubName")]
    [InlineData("Kms:Workflows:TaskHubName", "1hub", "TaskHubName")]
    [InlineData("Kms:Workflows:TaskHubName", "my-hub", "TaskHubName")]
    [InlineData("Kms:Storage:TablePrefix", "averyveryveryveryverylongtableprefixofmanyletters", "TaskHubName")]
    [InlineData("Kms:Workflows:WorkItemVisibilityTimeout", "00:00:00", "WorkItemVisibilityTimeout")]
    [InlineData("Kms:Workflows:ControlQueueVisibilityTimeout", "-00:00:01", "ControlQueueVisibilityTimeout")]
    [InlineData("Kms:Workflows:MaxQueuePollingInterval", "01:00:00", "MaxQueuePollingInterval")]
    [InlineData("Kms:Workflows:PartitionCount", "17", "PartitionCount")]
    [InlineData("Kms:Storage:ConnectionString", "", "Kms:Storage:ConnectionString")]
    public async Task HostStart_BadSetting_FailsNamingTheSetting(string key, string value, string expectedInMessage)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kms:Storage:ConnectionString"] = UnusedConnectionString,
            ["Kms:Workflows:TaskHubName"] = "goodhub",
            [key] = value,
        };
        if (key == "Kms:Storage:TablePrefix")
        {
            settings.Remove("Kms:Workflows:TaskHubName");
        }

        using var host = EngineHost.Build(settings, new ConcurrentQueue<(LogLevel, string)>());

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(expectedInMessage, error.Message, StringComparison.Ordinal);
    }
}
