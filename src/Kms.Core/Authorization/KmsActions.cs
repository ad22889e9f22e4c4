namespace Kms.Core.Authorization;

/// <summary>
/// Every action a caller can be allowed or denied. The names appear in key policies, role definitions,
/// audit records and decisions; they are a public contract.
/// </summary>
public static class KmsActions
{
    public const string Wildcard = "kms:*";

    // Key lifecycle (kms.admin; reads also kms.operator and kms.auditor).
    public const string CreateKey = "kms:CreateKey";
    public const string ListKeys = "kms:ListKeys";
    public const string DescribeKey = "kms:DescribeKey";
    public const string EnableKey = "kms:EnableKey";
    public const string DisableKey = "kms:DisableKey";
    public const string ListKeyVersions = "kms:ListKeyVersions";
    public const string EnableKeyVersion = "kms:EnableKeyVersion";
    public const string DisableKeyVersion = "kms:DisableKeyVersion";
    public const string PutAlias = "kms:PutAlias";
    public const string DeleteAlias = "kms:DeleteAlias";
    public const string GetKeyPolicy = "kms:GetKeyPolicy";
    public const string PutKeyPolicy = "kms:PutKeyPolicy";
    public const string SimulatePolicy = "kms:SimulatePolicy";
    public const string ManageRoleAssignments = "kms:ManageRoleAssignments";
    public const string ScheduleKeyDeletion = "kms:ScheduleKeyDeletion";
    public const string CancelKeyDeletion = "kms:CancelKeyDeletion";
    public const string SetDeletionProtection = "kms:SetDeletionProtection";

    // Operations (kms.operator, and kms.admin); reading them also kms.auditor.
    public const string RotateKey = "kms:RotateKey";
    public const string RevokeKeyVersion = "kms:RevokeKeyVersion";
    public const string Rewrap = "kms:Rewrap";
    public const string ListOperations = "kms:ListOperations";
    public const string ReadOperation = "kms:ReadOperation";
    public const string ControlOperation = "kms:ControlOperation";

    // The HSM's root key (kms.admin only).
    public const string RotateRootKey = "kms:RotateRootKey";

    // Audit (kms.auditor).
    public const string ReadAudit = "kms:ReadAudit";

    // Approving the destruction an operation waits for (kms.approver), on the operation's key.
    public const string Approve = "kms:Approve";

    // Cryptography (kms.crypto).
    public const string Encrypt = "kms:Encrypt";
    public const string Decrypt = "kms:Decrypt";
    public const string ReEncrypt = "kms:ReEncrypt";
    public const string GenerateDataKey = "kms:GenerateDataKey";
    public const string Sign = "kms:Sign";
    public const string Verify = "kms:Verify";
    public const string GetPublicKey = "kms:GetPublicKey";
    public const string GenerateMac = "kms:GenerateMac";
    public const string VerifyMac = "kms:VerifyMac";
    public const string GenerateRandom = "kms:GenerateRandom";

    /// <summary>Every action except the wildcard.</summary>
    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        CreateKey, ListKeys, DescribeKey, EnableKey, DisableKey, ListKeyVersions, EnableKeyVersion, DisableKeyVersion, PutAlias,
        DeleteAlias, GetKeyPolicy, PutKeyPolicy, SimulatePolicy, ManageRoleAssignments, ScheduleKeyDeletion, CancelKeyDeletion,
        SetDeletionProtection, RotateKey, RevokeKeyVersion, Approve, Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
        Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, GenerateRandom, ReadAudit, ListOperations, ReadOperation, ControlOperation, Rewrap,
        RotateRootKey,
    };

    /// <summary>
    /// Actions that act on no single key. Only a role held for all keys (scope "*") grants them, and key
    /// policies do not apply to them.
    /// </summary>
    public static IReadOnlySet<string> KeyIndependent { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        CreateKey, ListKeys, SimulatePolicy, ManageRoleAssignments, GenerateRandom, ReadAudit, ListOperations,
        RotateRootKey,
    };

    /// <summary>
    /// Actions decided by roles alone, never by a key policy: a key's policy cannot lock its
    /// administrators out of reading or replacing that policy.
    /// </summary>
    public static IReadOnlySet<string> PolicyManagement { get; } = new HashSet<string>(StringComparer.Ordinal) { GetKeyPolicy, PutKeyPolicy };
}
