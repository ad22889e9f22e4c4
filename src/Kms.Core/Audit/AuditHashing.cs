using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kms.Core.Audit;

/// <summary>
/// The chain's hash function. The canonical form is one field per line, each as name=value with the value's
/// length first, so no choice of field contents can make two different records hash alike.
/// </summary>
public static class AuditHashing
{
    /// <summary>The PreviousHash of a chain's first record.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Hash(string chainId, long sequence, AuditEntry entry, string previousHash)
    {
        var text = new StringBuilder(512);
        Field(text, "chain", chainId);
        Field(text, "seq", sequence.ToString(CultureInfo.InvariantCulture));
        Field(text, "prev", previousHash);
        Field(text, "time", entry.Time.UtcTicks.ToString(CultureInfo.InvariantCulture));
        Field(text, "principal", entry.Principal);
        Field(text, "roles", string.Join(',', entry.Roles));
        Field(text, "operation", entry.Operation);
        Field(text, "key", entry.KeyId);
        Field(text, "version", entry.KeyVersion?.ToString(CultureInfo.InvariantCulture));
        Field(text, "status", entry.Status.ToString(CultureInfo.InvariantCulture));
        Field(text, "error", entry.ErrorCode);
        Field(text, "reason", entry.Reason);
        Field(text, "request", entry.RequestId);
        Field(text, "address", entry.CallerAddress);
        Field(text, "context", string.Join(',', entry.ContextKeys));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>What a checkpoint signature covers.</summary>
    public static byte[] CheckpointDigest(string chainId, long sequence, string hash) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"kms-audit-checkpoint\n{chainId}\n{sequence.ToString(CultureInfo.InvariantCulture)}\n{hash}"));

    private static void Field(StringBuilder text, string name, string? value) =>
        text.Append(name).Append('=').Append(value is null ? "-1" : value.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(value).Append('\n');
}
