using System.Text.Json;
using System.Text.Json.Serialization;
using Kms.Client.Models;

namespace Kms.Client.Serialization;

/// <summary>
/// Source-generated serialization (no reflection, trimming-safe) with the API's conventions: camelCase names, absent
/// rather than null optional fields (the server refuses unknown fields and treats null and absent alike).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateKeyBody))]
[JsonSerializable(typeof(KmsKey))]
[JsonSerializable(typeof(KeyPage))]
[JsonSerializable(typeof(RotationPolicyBody))]
[JsonSerializable(typeof(PutAliasBody))]
[JsonSerializable(typeof(KmsAlias))]
[JsonSerializable(typeof(ScheduleDeletionBody))]
[JsonSerializable(typeof(DeletionProtectionBody))]
[JsonSerializable(typeof(KmsKeyVersion))]
[JsonSerializable(typeof(KmsKeyVersionList))]
[JsonSerializable(typeof(KeyRotationResult))]
[JsonSerializable(typeof(KeyPolicy))]
[JsonSerializable(typeof(SimulateBody))]
[JsonSerializable(typeof(PolicyDecision))]
[JsonSerializable(typeof(RoleAssignmentBody))]
[JsonSerializable(typeof(RoleAssignment))]
[JsonSerializable(typeof(RoleAssignmentList))]
[JsonSerializable(typeof(EncryptBody))]
[JsonSerializable(typeof(EncryptResult))]
[JsonSerializable(typeof(DecryptBody))]
[JsonSerializable(typeof(DecryptResult))]
[JsonSerializable(typeof(ReEncryptBody))]
[JsonSerializable(typeof(ReEncryptResult))]
[JsonSerializable(typeof(BatchAnswer<EncryptItemAnswer>))]
[JsonSerializable(typeof(BatchAnswer<DecryptItemAnswer>))]
[JsonSerializable(typeof(BatchAnswer<ReEncryptItemAnswer>))]
[JsonSerializable(typeof(GenerateDataKeyBody))]
[JsonSerializable(typeof(DataKeyResult))]
[JsonSerializable(typeof(SignBody))]
[JsonSerializable(typeof(SignResult))]
[JsonSerializable(typeof(VerifyBody))]
[JsonSerializable(typeof(VerifyResult))]
[JsonSerializable(typeof(MacBody))]
[JsonSerializable(typeof(MacResult))]
[JsonSerializable(typeof(VerifyMacBody))]
[JsonSerializable(typeof(RandomBody))]
[JsonSerializable(typeof(RandomAnswer))]
[JsonSerializable(typeof(KmsPublicKey))]
[JsonSerializable(typeof(KmsHealth))]
[JsonSerializable(typeof(RotationBody))]
[JsonSerializable(typeof(RevocationBody))]
[JsonSerializable(typeof(RewrapJobBody))]
[JsonSerializable(typeof(ApprovalBody))]
[JsonSerializable(typeof(KmsOperation))]
[JsonSerializable(typeof(OperationPage))]
[JsonSerializable(typeof(AuditPage))]
[JsonSerializable(typeof(AuditVerification))]
internal sealed partial class KmsJsonContext : JsonSerializerContext
{
}
