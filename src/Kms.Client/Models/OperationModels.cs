using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>Operation states.</summary>
public static class OperationStates
{
    public const string Pending = "PENDING";
    public const string Running = "RUNNING";
    public const string Paused = "PAUSED";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string Canceled = "CANCELED";

    /// <summary>COMPLETED, FAILED and CANCELED are final.</summary>
    public static bool IsFinal(string state) => state is Completed or Failed or Canceled;
}

/// <summary>A long-running operation (a staged rotation, rewrap campaign, revocation, deletion or root-key rotation).</summary>
public sealed class KmsOperation
{
    [JsonConstructor]
    internal KmsOperation(string operationId, string type, string? keyId, string state, string? step, IReadOnlyList<string>? checkpoints, int? version,
        string? error, DateTimeOffset createdAt, DateTimeOffset lastUpdatedAt, string statusUrl, RewrapProgress? progress,
        OperationApprovals? approvals, TimeToRevoke? timeToRevoke, IReadOnlyList<string>? relatedOperations, DateTimeOffset? completedAt)
    {
        OperationId = operationId;
        Type = type;
        KeyId = keyId;
        State = state;
        Step = step;
        Checkpoints = checkpoints ?? [];
        Version = version;
        Error = error;
        CreatedAt = createdAt;
        LastUpdatedAt = lastUpdatedAt;
        StatusUrl = statusUrl;
        Progress = progress;
        Approvals = approvals;
        TimeToRevoke = timeToRevoke;
        RelatedOperations = relatedOperations ?? [];
        CompletedAt = completedAt;
    }

    public string OperationId { get; }

    /// <summary>e.g. rotation, rewrap, revocation, deletion, rootrotation.</summary>
    public string Type { get; }

    public string? KeyId { get; }

    /// <summary>One of <see cref="OperationStates"/>.</summary>
    public string State { get; }

    public bool IsFinal => OperationStates.IsFinal(State);

    public string? Step { get; }

    public IReadOnlyList<string> Checkpoints { get; }

    public int? Version { get; }

    public string? Error { get; }

    public DateTimeOffset CreatedAt { get; }

    public DateTimeOffset LastUpdatedAt { get; }

    public string StatusUrl { get; }

    public RewrapProgress? Progress { get; }

    public OperationApprovals? Approvals { get; }

    public TimeToRevoke? TimeToRevoke { get; }

    public IReadOnlyList<string> RelatedOperations { get; }

    public DateTimeOffset? CompletedAt { get; }
}

public sealed class RewrapProgress
{
    [JsonConstructor]
    internal RewrapProgress(long done, long skipped, long failed, long? total, double itemsPerSecond, double? etaSeconds, int pass)
    {
        Done = done;
        Skipped = skipped;
        Failed = failed;
        Total = total;
        ItemsPerSecond = itemsPerSecond;
        EtaSeconds = etaSeconds;
        Pass = pass;
    }

    public long Done { get; }

    public long Skipped { get; }

    public long Failed { get; }

    public long? Total { get; }

    public double ItemsPerSecond { get; }

    public double? EtaSeconds { get; }

    public int Pass { get; }
}

public sealed class OperationApprovals
{
    [JsonConstructor]
    internal OperationApprovals(int required, string requestedBy, IReadOnlyList<OperationApproval> received, string state, DateTimeOffset? expiresAt)
    {
        Required = required;
        RequestedBy = requestedBy;
        Received = received;
        State = state;
        ExpiresAt = expiresAt;
    }

    public int Required { get; }

    public string RequestedBy { get; }

    public IReadOnlyList<OperationApproval> Received { get; }

    /// <summary>pending, waiting, approved or expired.</summary>
    public string State { get; }

    public DateTimeOffset? ExpiresAt { get; }
}

public sealed class OperationApproval
{
    [JsonConstructor]
    internal OperationApproval(string principal, DateTimeOffset approvedAt, string? comment)
    {
        Principal = principal;
        ApprovedAt = approvedAt;
        Comment = comment;
    }

    public string Principal { get; }

    public DateTimeOffset ApprovedAt { get; }

    public string? Comment { get; }
}

public sealed class TimeToRevoke
{
    [JsonConstructor]
    internal TimeToRevoke(double revokedMs, double? publishedMs)
    {
        RevokedMs = revokedMs;
        PublishedMs = publishedMs;
    }

    public double RevokedMs { get; }

    public double? PublishedMs { get; }
}

/// <summary>Where stored ciphertexts are, for a rewrap campaign. Use <see cref="Table"/> or <see cref="Blobs"/>.</summary>
public sealed class RewrapSource
{
    private RewrapSource(string type, string connection)
    {
        Type = type;
        Connection = connection;
    }

    /// <summary>A table column; <paramref name="connection"/> names a connection configured on the KMS (Kms:Rewrap:Connections).</summary>
    public static RewrapSource Table(string connection, string table, string column, string? filter = null, string? contextColumn = null) =>
        new("table", connection) { TableName = table, Column = column, Filter = filter, ContextColumn = contextColumn };

    /// <summary>Blobs of a container; the body is the ciphertext unless <paramref name="metadataName"/> names a metadata entry.</summary>
    public static RewrapSource Blobs(string connection, string container, string? prefix = null, string? metadataName = null,
        string? contextColumn = null) =>
        new("blob", connection) { Container = container, Prefix = prefix, MetadataName = metadataName, ContextColumn = contextColumn };

    public string Type { get; }

    public string Connection { get; }

    [JsonPropertyName("table")]
    public string? TableName { get; private init; }

    public string? Column { get; private init; }

    public string? Filter { get; private init; }

    public string? ContextColumn { get; private init; }

    public string? Container { get; private init; }

    public string? Prefix { get; private init; }

    public string? MetadataName { get; private init; }
}

/// <summary>Options of a staged rotation.</summary>
public sealed class StartRotationOptions
{
    /// <summary>Rewrap campaigns to start once the new version is primary.</summary>
    public IList<RewrapSource> RewrapSources { get; } = new List<RewrapSource>();

    /// <summary>Each campaign disables the versions it moved data off, after a clean verification.</summary>
    public bool? DisableOldVersions { get; set; }
}

/// <summary>A rewrap campaign: move a source's ciphertexts of a key onto its primary version.</summary>
public sealed class RewrapJobOptions(string keyId, RewrapSource source)
{
    public string KeyId { get; } = keyId;

    public RewrapSource Source { get; } = source;

    /// <summary>Versions to move off; all but the primary when empty.</summary>
    public IList<int> FromVersions { get; } = new List<int>();

    public bool? DisableOldVersions { get; set; }
}

/// <summary>An emergency revocation of key versions.</summary>
public sealed class RevocationOptions
{
    public RevocationOptions(IEnumerable<int> versions, string reason)
    {
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        Versions = versions.ToList();
        Reason = reason;
    }

    public IList<int> Versions { get; }

    /// <summary>Goes into the KeyVersionRevoked event and the audit log.</summary>
    public string Reason { get; }

    /// <summary>Stores whose ciphertexts are rewrapped onto the replacement primary.</summary>
    public IList<RewrapSource> Sources { get; } = new List<RewrapSource>();
}

/// <summary>Filters of <see cref="KmsClient.GetOperationsAsync"/>.</summary>
public sealed class OperationQuery
{
    public string? Type { get; set; }

    public string? KeyId { get; set; }

    public string? State { get; set; }
}
