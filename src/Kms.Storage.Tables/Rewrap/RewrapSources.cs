using System.Text.Json;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Microsoft.Extensions.Options;

namespace Kms.Storage.Tables.Rewrap;

/// <summary>Settings of rewrap campaigns (section <c>Kms:Rewrap</c>).</summary>
public sealed class RewrapOptions
{
    public const string SectionName = "Kms:Rewrap";

    /// <summary>
    /// Storage connection strings by name. A campaign names one, so the secret never enters the request, the
    /// orchestration history or the audit log. Locally "local" is Azurite. A name set here wins over the same name
    /// under <see cref="Accounts"/>.
    /// </summary>
    public Dictionary<string, string> Connections { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Storage accounts reached with a managed identity (DefaultAzureCredential) instead of a connection string, by
    /// name (<c>Kms:Rewrap:Accounts:{name}:TableEndpoint</c> and/or <c>BlobEndpoint</c>). A campaign names one as its
    /// <c>source.connection</c>, like a name under <see cref="Connections"/>.
    /// </summary>
    public Dictionary<string, RewrapAccountOptions> Accounts { get; } = new(StringComparer.Ordinal);
}

/// <summary>The service endpoints of one storage account read by rewrap campaigns with a managed identity.</summary>
public sealed class RewrapAccountOptions
{
    /// <summary>Table service endpoint, e.g. https://account.table.core.windows.net; needed by table sources.</summary>
    public Uri? TableEndpoint { get; set; }

    /// <summary>Blob service endpoint, e.g. https://account.blob.core.windows.net; needed by blob sources.</summary>
    public Uri? BlobEndpoint { get; set; }
}

/// <summary><see cref="IRewrapSources"/> over Azure Tables and Blob Storage.</summary>
internal sealed class RewrapSources : IRewrapSources
{
    private readonly RewrapOptions _options;
    // One credential for every campaign (it caches its tokens), made only when an account is first used.
    private readonly Lazy<TokenCredential> _credential;

    public RewrapSources(IOptions<RewrapOptions> options, Func<TokenCredential>? credential = null)
    {
        _options = options.Value;
        _credential = new Lazy<TokenCredential>(credential ?? (() => new DefaultAzureCredential()));
    }

    public void Validate(RewrapSourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var names = _options.Connections.Keys.Concat(_options.Accounts.Keys).Distinct(StringComparer.Ordinal).ToArray();
        if (string.IsNullOrEmpty(spec.Connection) || !names.Contains(spec.Connection, StringComparer.Ordinal))
        {
            throw KmsErrors.Validation($"'source.connection' must name a connection configured under {RewrapOptions.SectionName}:Connections " +
                $"or {RewrapOptions.SectionName}:Accounts" + (names.Length == 0 ? " (none is)." : $" ({string.Join(", ", names)})."));
        }

        switch (spec.Type)
        {
            case RewrapSourceSpec.TableType:
                Require(spec.Table, "source.table");
                Require(spec.Column, "source.column");
                break;
            case RewrapSourceSpec.BlobType:
                Require(spec.Container, "source.container");
                break;
            default:
                throw KmsErrors.Validation("'source.type' must be table or blob.");
        }

        // An account reached by identity needs the endpoint of the service the campaign reads.
        if (!_options.Connections.ContainsKey(spec.Connection))
        {
            var account = _options.Accounts[spec.Connection];
            var (endpoint, setting) = spec.Type == RewrapSourceSpec.TableType
                ? (account.TableEndpoint, nameof(RewrapAccountOptions.TableEndpoint))
                : (account.BlobEndpoint, nameof(RewrapAccountOptions.BlobEndpoint));
            if (endpoint is null || !endpoint.IsAbsoluteUri)
            {
                throw KmsErrors.Validation($"Connection '{spec.Connection}' has no {RewrapOptions.SectionName}:Accounts:{spec.Connection}:{setting} " +
                    $"(an absolute URI), needed to read a {spec.Type} source.");
            }
        }
    }

    public IRewrapSource Open(RewrapSourceSpec spec)
    {
        Validate(spec);
        return spec.Type == RewrapSourceSpec.TableType
            ? new TableRewrapSource(TableClientFor(spec), spec)
            : new BlobRewrapSource(ContainerClientFor(spec), spec);
    }

    /// <summary>The client of a table source: by connection string when the name is under Connections, else by endpoint and credential.</summary>
    internal TableClient TableClientFor(RewrapSourceSpec spec) =>
        _options.Connections.TryGetValue(spec.Connection, out var connectionString)
            ? new TableServiceClient(connectionString).GetTableClient(spec.Table)
            : new TableServiceClient(_options.Accounts[spec.Connection].TableEndpoint!, _credential.Value).GetTableClient(spec.Table);

    /// <summary>The client of a blob source: by connection string when the name is under Connections, else by endpoint and credential.</summary>
    internal BlobContainerClient ContainerClientFor(RewrapSourceSpec spec) =>
        _options.Connections.TryGetValue(spec.Connection, out var connectionString)
            ? new BlobContainerClient(connectionString, spec.Container)
            : new BlobServiceClient(_options.Accounts[spec.Connection].BlobEndpoint!, _credential.Value).GetBlobContainerClient(spec.Container);

    /// <summary>An item's encryption context from its JSON object (a string column or metadata entry); empty when absent.</summary>
    internal static EncryptionContext Context(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return EncryptionContext.Empty;
        }

        try
        {
            return EncryptionContext.From(JsonSerializer.Deserialize<Dictionary<string, string>>(json));
        }
        catch (JsonException)
        {
            throw KmsErrors.Validation("The item's context is not a JSON object of strings.");
        }
    }

    private static void Require(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw KmsErrors.MissingField(field);
        }
    }
}
