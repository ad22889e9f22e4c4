namespace Kms.Storage.Tables;

/// <summary>
/// Where and how the key, alias, key policy, role assignment and approval stores reach Azure Tables
/// (configuration section <c>Kms:Storage</c>).
/// </summary>
public sealed class TableStorageOptions
{
    public const string SectionName = "Kms:Storage";

    /// <summary>Longest table prefix, so that the longest table name ("{prefix}roleassignments") stays within 63 characters.</summary>
    public const int MaxTablePrefixLength = 63 - 15;

    /// <summary>
    /// Storage connection string (Azurite locally, or an account key). When set it wins over
    /// <see cref="TableEndpoint"/>. It is a secret: never log or echo it.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Table service endpoint (e.g. https://account.table.core.windows.net), used with
    /// DefaultAzureCredential (managed identity in Azure) when no connection string is configured.
    /// </summary>
    public Uri? TableEndpoint { get; set; }

    /// <summary>
    /// Prefix of every table name (letters and digits, starting with a letter): "{prefix}keys", "{prefix}aliases",
    /// "{prefix}roleassignments", "{prefix}approvals".
    /// </summary>
    public string TablePrefix { get; set; } = "kms";

    /// <summary>
    /// Timeout of one attempt of one storage request. Kept short so a storage outage fails the caller fast
    /// (503) instead of holding its request open.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Retries of a failed request (network error, timeout, 408/429/5xx) before it is reported as unavailable.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Name of the table holding keys, their versions and their policies.</summary>
    public string KeysTableName => TablePrefix + "keys";

    /// <summary>Name of the table holding aliases.</summary>
    public string AliasesTableName => TablePrefix + "aliases";

    /// <summary>Name of the table holding role assignments.</summary>
    public string RoleAssignmentsTableName => TablePrefix + "roleassignments";


    public string AuditTableName => TablePrefix + "audit";

    /// <summary>Name of the table holding outbox rows that kept failing to publish (see TableOutboxStore).</summary>
    public string OutboxPoisonTableName => TablePrefix + "outboxpoison";

    /// <summary>Throws when a value is missing or out of range, so a bad setting stops the host at start.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && TableEndpoint is null)
        {
            throw new ArgumentException(
                $"Set {SectionName}:ConnectionString, or {SectionName}:TableEndpoint to use a managed identity.", nameof(ConnectionString));
        }

        if (string.IsNullOrWhiteSpace(ConnectionString) && TableEndpoint is { } endpoint
            && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
        {
            throw new ArgumentException($"{SectionName}:TableEndpoint must be an absolute http(s) URI.", nameof(TableEndpoint));
        }

        // Table names are 3-63 letters and digits starting with a letter; the suffixes make the minimum length.
        if (string.IsNullOrEmpty(TablePrefix) || TablePrefix.Length > MaxTablePrefixLength
            || !char.IsAsciiLetter(TablePrefix[0]) || !TablePrefix.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException(
                $"{SectionName}:TablePrefix must be 1 to {MaxTablePrefixLength} ASCII letters and digits, starting with a letter.", nameof(TablePrefix));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RequestTimeout, TimeSpan.FromMinutes(5), nameof(RequestTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries, nameof(MaxRetries));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRetries, 10, nameof(MaxRetries));
    }
}
