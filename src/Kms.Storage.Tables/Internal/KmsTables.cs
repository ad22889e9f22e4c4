using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;

namespace Kms.Storage.Tables.Internal;

/// <summary>
/// The table clients of the KMS, built once per process: they share one HTTP pipeline, and the pipeline's
/// retry and timeout settings are what make an outage fail fast.
/// </summary>
internal sealed class KmsTables
{
    private KmsTables(TableServiceClient service, TableStorageOptions options)
    {
        Service = service;
        Options = options;
        Keys = service.GetTableClient(options.KeysTableName);
        Aliases = service.GetTableClient(options.AliasesTableName);
        RoleAssignments = service.GetTableClient(options.RoleAssignmentsTableName);
        Audit = service.GetTableClient(options.AuditTableName);
        OutboxPoison = service.GetTableClient(options.OutboxPoisonTableName);
    }

    public TableServiceClient Service { get; }

    public TableStorageOptions Options { get; }

    public TableClient Keys { get; }

    public TableClient Aliases { get; }

    public TableClient RoleAssignments { get; }


    public TableClient Audit { get; }

    public TableClient OutboxPoison { get; }

    public IEnumerable<TableClient> All => [Keys, Aliases, RoleAssignments, Audit, OutboxPoison];

    /// <summary>
    /// Builds the clients: with the connection string when one is set (it wins), else with the table endpoint and the
    /// credential <paramref name="credential"/> returns (DefaultAzureCredential when null; in Azure the managed
    /// identity named by AZURE_CLIENT_ID). The credential is created only when it is used.
    /// </summary>
    public static KmsTables Create(TableStorageOptions options, Func<TokenCredential>? credential = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var clientOptions = new TableClientOptions();
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.NetworkTimeout = options.RequestTimeout;
        // Short back-off: a caller is waiting; a longer outage is reported as 503 and retried by the caller.
        clientOptions.Retry.Delay = TimeSpan.FromMilliseconds(200);
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(1);

        TableServiceClient service;
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            try
            {
                service = new TableServiceClient(options.ConnectionString, clientOptions);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // The parser's message may quote the connection string, account key included: drop it.
                throw new InvalidOperationException($"{TableStorageOptions.SectionName}:ConnectionString is not a valid storage connection string.");
            }
        }
        else
        {
            service = new TableServiceClient(options.TableEndpoint!, (credential ?? DefaultCredential)(), clientOptions);
        }

        return new KmsTables(service, options);
    }

    private static TokenCredential DefaultCredential() => new DefaultAzureCredential();
}
