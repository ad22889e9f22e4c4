using System.Text.Json;
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
    /// orchestration history or the audit log. Locally "local" is Azurite.
    /// </summary>
    public Dictionary<string, string> Connections { get; } = new(StringComparer.Ordinal);
}

/// <summary><see cref="IRewrapSources"/> over Azure Tables and Blob Storage.</summary>
internal sealed class RewrapSources : IRewrapSources
{
    private readonly RewrapOptions _options;

    public RewrapSources(IOptions<RewrapOptions> options) => _options = options.Value;

    public void Validate(RewrapSourceSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (string.IsNullOrEmpty(spec.Connection) || !_options.Connections.ContainsKey(spec.Connection))
        {
            throw KmsErrors.Validation($"'source.connection' must name a connection configured under {RewrapOptions.SectionName}:Connections" +
                (_options.Connections.Count == 0 ? " (none is)." : $" ({string.Join(", ", _options.Connections.Keys)})."));
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
    }

    public IRewrapSource Open(RewrapSourceSpec spec)
    {
        Validate(spec);
        var connection = _options.Connections[spec.Connection];
        return spec.Type == RewrapSourceSpec.TableType ? new TableRewrapSource(connection, spec) : new BlobRewrapSource(connection, spec);
    }

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
