using Kms.LocalHost.Workflows.Internal;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.Workflows;

/// <summary>Registration of the local workflow engine (see docs/workflows.md, "Local engine").</summary>
public static class LocalWorkflowEngineExtensions
{
    /// <summary>
    /// When <c>Kms:Workflows:Enabled</c> is true (the default) registers the local Durable Task engine over the storage
    /// account of <c>Kms:Storage:ConnectionString</c>, a DurableTask worker running the tasks
    /// <paramref name="registerTasks"/> adds, and a <see cref="DurableTaskClient"/>; otherwise registers nothing.
    /// Settings come from <c>Workflows</c> under <paramref name="kmsSection"/> (the <c>Kms</c> section); bad settings stop
    /// the host at start.
    /// </summary>
    public static IServiceCollection AddLocalWorkflowEngine(this IServiceCollection services, IConfiguration kmsSection,
        Action<DurableTaskRegistry> registerTasks)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(kmsSection);
        ArgumentNullException.ThrowIfNull(registerTasks);

        var section = kmsSection.GetSection("Workflows");
        if (!section.GetValue(nameof(LocalWorkflowEngineOptions.Enabled), defaultValue: true)
            || services.Any(d => d.ServiceType == typeof(SidecarEndpoint)))
        {
            return services;
        }

        var storage = kmsSection.GetSection("Storage");
        services.AddOptions<LocalWorkflowEngineOptions>()
            .Bind(section)
            .PostConfigure(o => o.TaskHubName ??= LocalWorkflowEngineOptions.DefaultTaskHubName(storage["TablePrefix"]))
            .ValidateOnStart();
        services.TryAddSingleton(new LocalWorkflowStorage(storage));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LocalWorkflowEngineOptions>, LocalWorkflowEngineOptionsValidator>());

        // One socket and one channel per registration; a factory registration, so the container disposes them.
        var endpoint = new SidecarEndpoint();
        services.AddSingleton(_ => endpoint);

        // The engine starts in StartingAsync, before any hosted service's StartAsync, so the sidecar listens before
        // the worker connects; registered first as well, so it is also the last to stop.
        services.AddHostedService<LocalWorkflowEngine>();
        services.AddDurableTaskWorker(builder =>
        {
            builder.UseGrpc(endpoint.Channel);
            builder.AddTasks(registerTasks);
        });
        services.AddDurableTaskClient(builder => builder.UseGrpc(endpoint.Channel));
        return services;
    }
}

/// <summary>Runs <see cref="LocalWorkflowEngineOptions.Validate"/> and checks the storage setting inside the options pipeline.</summary>
internal sealed class LocalWorkflowEngineOptionsValidator(LocalWorkflowStorage storage) : IValidateOptions<LocalWorkflowEngineOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalWorkflowEngineOptions options)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }

        return options.Enabled && storage.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}
