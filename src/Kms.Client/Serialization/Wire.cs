using Kms.Client.Models;

namespace Kms.Client.Serialization;

// Request and page bodies as they are on the wire (docs/api.md). Public models that are the same shape are
// serialized directly; these exist where the wire shape differs from the public API (batches, pages, wrappers).
// Binary fields are ReadOnlyMemory<byte>/byte[]: System.Text.Json writes and reads them as standard base64.

internal sealed record CreateKeyBody(string KeySpec, string? KeyUsage, string? Alias, string? Description,
    IDictionary<string, string>? Tags, bool? DeletionProtection);

internal sealed record KeyPage(IReadOnlyList<KmsKey> Keys, string? ContinuationToken);

internal sealed record RotationPolicyBody(int? RotationPeriodDays);

internal sealed record PutAliasBody(string KeyId);

internal sealed record ScheduleDeletionBody(int? WaitingDays);

internal sealed record DeletionProtectionBody(bool Enabled);

internal sealed record RoleAssignmentBody(string Principal, string Role, string? Scope);

internal sealed record RoleAssignmentList(IReadOnlyList<RoleAssignment> Assignments);

internal sealed record EncryptBody(ReadOnlyMemory<byte>? Plaintext = null, IReadOnlyDictionary<string, string>? Context = null,
    IReadOnlyList<EncryptItemBody>? Items = null);

internal sealed record EncryptItemBody(ReadOnlyMemory<byte> Plaintext, IReadOnlyDictionary<string, string>? Context);

internal sealed record DecryptBody(ReadOnlyMemory<byte>? Ciphertext = null, IReadOnlyDictionary<string, string>? Context = null,
    IReadOnlyList<DecryptItemBody>? Items = null);

internal sealed record DecryptItemBody(ReadOnlyMemory<byte> Ciphertext, IReadOnlyDictionary<string, string>? Context);

internal sealed record ReEncryptBody(ReadOnlyMemory<byte>? Ciphertext = null, IReadOnlyDictionary<string, string>? SourceContext = null,
    string? DestinationKeyId = null, IReadOnlyDictionary<string, string>? DestinationContext = null, IReadOnlyList<ReEncryptItemBody>? Items = null);

internal sealed record ReEncryptItemBody(ReadOnlyMemory<byte> Ciphertext, IReadOnlyDictionary<string, string>? SourceContext, string? DestinationKeyId,
    IReadOnlyDictionary<string, string>? DestinationContext);

internal sealed record BatchAnswer<T>(IReadOnlyList<T> Items);

internal sealed record EncryptItemAnswer(byte[]? Ciphertext, string? KeyId, int? Version, BatchItemError? Error);

internal sealed record DecryptItemAnswer(byte[]? Plaintext, string? KeyId, int? Version, BatchItemError? Error);

internal sealed record ReEncryptItemAnswer(byte[]? Ciphertext, string? KeyId, int? Version, string? SourceKeyId, int? SourceVersion,
    BatchItemError? Error);

internal sealed record GenerateDataKeyBody(string? KeySpec, IReadOnlyDictionary<string, string>? Context, bool? IncludePlaintext);

internal sealed record SignBody(string Algorithm, ReadOnlyMemory<byte>? Message, ReadOnlyMemory<byte>? Digest);

internal sealed record VerifyBody(string Algorithm, ReadOnlyMemory<byte> Signature, ReadOnlyMemory<byte>? Message, ReadOnlyMemory<byte>? Digest,
    int? Version);

internal sealed record MacBody(ReadOnlyMemory<byte> Message);

internal sealed record VerifyMacBody(ReadOnlyMemory<byte> Message, ReadOnlyMemory<byte> Mac, int? Version);

internal sealed record RandomBody(int Bytes);

internal sealed record RandomAnswer(byte[] Random);

internal sealed record SimulateBody(string Principal, string Action, IList<string>? Roles, string? KeyId, IReadOnlyDictionary<string, string>? Context,
    string? CallerAddress);

internal sealed record RotationBody(RotationRewrapBody? Rewrap);

internal sealed record RotationRewrapBody(IList<RewrapSource> Sources, bool? DisableOldVersions);

internal sealed record RevocationBody(IList<int> Versions, string Reason, IList<RewrapSource>? Sources);

internal sealed record RewrapJobBody(string KeyId, IList<int>? FromVersions, RewrapSource Source, bool? DisableOldVersions);

internal sealed record ApprovalBody(string? Comment);

internal sealed record OperationPage(IReadOnlyList<KmsOperation> Operations, string? ContinuationToken);

internal sealed record AuditPage(IReadOnlyList<AuditRecord> Records, string? ContinuationToken);
