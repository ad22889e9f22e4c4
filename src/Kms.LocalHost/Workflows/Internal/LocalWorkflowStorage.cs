using DurableTask.AzureStorage;

namespace Kms.LocalHost.Workflows.Internal;

/// <summary>The storage account of the task hub: <c>Kms:Storage:ConnectionString</c> (Azurite locally), read when the engine starts.</summary>
internal sealed class LocalWorkflowStorage(IConfiguration storageSection)
{
    public const string ConnectionStringKey = "Kms:Storage:ConnectionString";

    public string? ConnectionString => storageSection["ConnectionString"];

    /// <summary>Null when usable, else why not (the key is never part of the message).</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            return $"{ConnectionStringKey} is required: the local workflow engine keeps its task hub in that storage account (Azurite locally).";
        }

        try
        {
            _ = new StorageAccountClientProvider(ConnectionString);
            return null;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            return $"{ConnectionStringKey} is not a valid storage connection string.";
        }
    }

    public StorageAccountClientProvider CreateClientProvider() =>
        new(ConnectionString ?? throw new InvalidOperationException($"{ConnectionStringKey} is required."));

    /// <summary>The queue endpoint, for error messages (no account key).</summary>
    public string Describe()
    {
        foreach (var part in (ConnectionString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("QueueEndpoint=", StringComparison.OrdinalIgnoreCase))
            {
                return part["QueueEndpoint=".Length..];
            }
        }

        return "account from " + ConnectionStringKey;
    }
}
