using Azure.Core;
using Azure.Identity;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Storage.Tables.Internal;
using Kms.Storage.Tables.Rewrap;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kms.Storage.Tables;

/// <summary>Registration of the Azure Tables stores.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IKeyStore"/>, <see cref="IAliasStore"/>, <see cref="IKeyPolicyStore"/>,
    /// <see cref="IRoleAssignmentStore"/> and <see cref="TableStoreInitializer"/> on
    /// Azure Tables, configured from <paramref name="section"/> (normally <c>Kms:Storage</c>, see
    /// <see cref="TableStorageOptions"/>). Options are validated when first used and at host start.
    /// Hosts should call <see cref="TableStoreInitializer.EnsureCreatedAsync"/> before serving requests.
    /// </summary>
    public static IServiceCollection AddTableStorage(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);

        services.AddOptions<TableStorageOptions>().Bind(section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TableStorageOptions>, TableStorageOptionsValidator>());

        // One set of clients per process: they share the HTTP pipeline and its connection pool.
        services.TryAddSingleton(sp => KmsTables.Create(sp.GetRequiredService<IOptions<TableStorageOptions>>().Value, () => CredentialOf(sp)));
        services.TryAddSingleton<OutboxSignal>();
        services.TryAddSingleton<IKeyStore>(sp =>
            new TableKeyStore(sp.GetRequiredService<KmsTables>(), LoggerOf<TableKeyStore>(sp), sp.GetRequiredService<OutboxSignal>()));
        services.TryAddSingleton<IAliasStore>(sp => new TableAliasStore(sp.GetRequiredService<KmsTables>(), LoggerOf<TableAliasStore>(sp)));
        services.TryAddSingleton<IKeyPolicyStore>(sp =>
            new TableKeyPolicyStore(sp.GetRequiredService<KmsTables>(), LoggerOf<TableKeyPolicyStore>(sp), sp.GetRequiredService<OutboxSignal>()));
        services.TryAddSingleton<IRoleAssignmentStore>(sp =>
            new TableRoleAssignmentStore(sp.GetRequiredService<KmsTables>(), LoggerOf<TableRoleAssignmentStore>(sp)));
        services.TryAddSingleton<UnpublishedAuditBatches>();
        services.TryAddSingleton(sp => new AuditChains(sp.GetRequiredService<KmsTables>()));
        services.TryAddSingleton<IAuditStore>(sp => new TableAuditStore(sp.GetRequiredService<KmsTables>(), sp.GetRequiredService<AuditChains>(),
            LoggerOf<TableAuditStore>(sp), sp.GetRequiredService<OutboxSignal>(), sp.GetRequiredService<UnpublishedAuditBatches>()));
        services.TryAddSingleton<IOutboxStore>(sp => new TableOutboxStore(sp.GetRequiredService<KmsTables>(), sp.GetRequiredService<AuditChains>(),
            sp.GetRequiredService<IOptions<KmsEventOptions>>().Value.AuditTakeoverDelay, TimeProviderOf(sp),
            LoggerOf<TableOutboxStore>(sp), sp.GetRequiredService<UnpublishedAuditBatches>()));
        services.TryAddSingleton(sp => new TableStoreInitializer(sp.GetRequiredService<KmsTables>(), LoggerOf<TableStoreInitializer>(sp)));
        return services;
    }

    /// <summary>
    /// Registers <see cref="IRewrapSources"/>: the tables and blob containers rewrap campaigns read, by connection name
    /// from <paramref name="section"/> (normally <c>Kms:Rewrap</c>, see <see cref="RewrapOptions"/>).
    /// </summary>
    public static IServiceCollection AddRewrapSources(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        services.AddOptions<RewrapOptions>().Bind(section);
        services.TryAddSingleton<IRewrapSources>(sp => new RewrapSources(sp.GetRequiredService<IOptions<RewrapOptions>>(), () => CredentialOf(sp)));
        return services;
    }

    /// <summary>
    /// The credential of the endpoint (managed identity) paths: a <see cref="TokenCredential"/> the host registered, else
    /// DefaultAzureCredential, which in Azure uses the user-assigned identity named by the AZURE_CLIENT_ID setting.
    /// </summary>
    internal static TokenCredential CredentialOf(IServiceProvider services) =>
        services.GetService<TokenCredential>() ?? new DefaultAzureCredential();

    private static TimeProvider TimeProviderOf(IServiceProvider services) => services.GetService<TimeProvider>() ?? TimeProvider.System;

    // Logging is optional for a library: a host without it still gets working stores.
    private static ILogger<T> LoggerOf<T>(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger<T>() ?? NullLogger<T>.Instance;
}

/// <summary>Runs <see cref="TableStorageOptions.Validate"/> inside the options pipeline so failures read as option errors.</summary>
internal sealed class TableStorageOptionsValidator : IValidateOptions<TableStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, TableStorageOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
