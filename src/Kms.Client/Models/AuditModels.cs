using System.Text.Json.Serialization;

namespace Kms.Client.Models;

/// <summary>Filters of <see cref="KmsClient.GetAuditRecordsAsync"/>; every one is optional.</summary>
public sealed class AuditQuery
{
    public string? KeyId { get; set; }

    public string? Principal { get; set; }

    /// <summary>The route name, e.g. <c>Encrypt</c>.</summary>
    public string? Operation { get; set; }

    /// <summary><c>success</c>, <c>denied</c> or <c>failure</c>.</summary>
    public string? Result { get; set; }

    public DateTimeOffset? From { get; set; }

    public DateTimeOffset? To { get; set; }
}

/// <summary>One tamper-evident audit record.</summary>
public sealed class AuditRecord
{
    [JsonConstructor]
    internal AuditRecord(string chainId, long sequence, DateTimeOffset time, string? principal, IReadOnlyList<string> roles, string operation,
        string? keyId, int? keyVersion, int status, string? errorCode, string? reason, string requestId, string? callerAddress,
        IReadOnlyList<string> contextKeys, string hash)
    {
        ChainId = chainId;
        Sequence = sequence;
        Time = time;
        Principal = principal;
        Roles = roles;
        Operation = operation;
        KeyId = keyId;
        KeyVersion = keyVersion;
        Status = status;
        ErrorCode = errorCode;
        Reason = reason;
        RequestId = requestId;
        CallerAddress = callerAddress;
        ContextKeys = contextKeys;
        Hash = hash;
    }

    public string ChainId { get; }

    public long Sequence { get; }

    public DateTimeOffset Time { get; }

    public string? Principal { get; }

    public IReadOnlyList<string> Roles { get; }

    public string Operation { get; }

    public string? KeyId { get; }

    public int? KeyVersion { get; }

    public int Status { get; }

    public string? ErrorCode { get; }

    public string? Reason { get; }

    public string RequestId { get; }

    public string? CallerAddress { get; }

    /// <summary>The encryption context's keys (its values are never recorded).</summary>
    public IReadOnlyList<string> ContextKeys { get; }

    public string Hash { get; }
}

/// <summary>The result of verifying every audit chain.</summary>
public sealed class AuditVerification
{
    [JsonConstructor]
    internal AuditVerification(bool valid, int chains, long records, IReadOnlyList<AuditBreak> breaks)
    {
        Valid = valid;
        Chains = chains;
        Records = records;
        Breaks = breaks;
    }

    public bool Valid { get; }

    public int Chains { get; }

    public long Records { get; }

    public IReadOnlyList<AuditBreak> Breaks { get; }
}

public sealed class AuditBreak
{
    [JsonConstructor]
    internal AuditBreak(string chainId, long sequence, string problem)
    {
        ChainId = chainId;
        Sequence = sequence;
        Problem = problem;
    }

    public string ChainId { get; }

    public long Sequence { get; }

    public string Problem { get; }
}
