namespace Kms.Core.Authorization;

/// <summary>The built-in roles and the actions each grants.</summary>
public static class KmsRoles
{
    public const string Admin = "kms.admin";
    public const string Crypto = "kms.crypto";
    public const string Operator = "kms.operator";
    public const string Approver = "kms.approver";
    public const string Auditor = "kms.auditor";

    private static readonly string[] KeyReads = [KmsActions.ListKeys, KmsActions.DescribeKey, KmsActions.ListKeyVersions];

    private static readonly Dictionary<string, HashSet<string>> Grants = new(StringComparer.Ordinal)
    {
        [Admin] = new(StringComparer.Ordinal)
        {
            KmsActions.CreateKey, KmsActions.ListKeys, KmsActions.DescribeKey, KmsActions.EnableKey, KmsActions.DisableKey,
            KmsActions.ListKeyVersions, KmsActions.EnableKeyVersion, KmsActions.DisableKeyVersion, KmsActions.PutAlias,
            KmsActions.DeleteAlias, KmsActions.GetKeyPolicy, KmsActions.PutKeyPolicy, KmsActions.SimulatePolicy,
            KmsActions.ManageRoleAssignments, KmsActions.ScheduleKeyDeletion, KmsActions.CancelKeyDeletion,
            KmsActions.SetDeletionProtection, KmsActions.RotateKey,
            KmsActions.ListOperations, KmsActions.ReadOperation, KmsActions.ControlOperation, KmsActions.Rewrap,
            KmsActions.RevokeKeyVersion, KmsActions.RotateRootKey,
        },
        [Crypto] = new(StringComparer.Ordinal)
        {
            KmsActions.Encrypt, KmsActions.Decrypt, KmsActions.ReEncrypt, KmsActions.GenerateDataKey, KmsActions.Sign,
            KmsActions.Verify, KmsActions.GetPublicKey, KmsActions.GenerateMac, KmsActions.VerifyMac, KmsActions.GenerateRandom,
        },
        [Operator] = new(KeyReads, StringComparer.Ordinal)
        {
            KmsActions.RotateKey, KmsActions.ListOperations, KmsActions.ReadOperation, KmsActions.ControlOperation, KmsActions.Rewrap,
            KmsActions.RevokeKeyVersion,
        },
        [Approver] = new(StringComparer.Ordinal) { KmsActions.Approve, KmsActions.ListOperations, KmsActions.ReadOperation },
        [Auditor] = new(KeyReads, StringComparer.Ordinal)
        {
            KmsActions.ReadAudit, KmsActions.ListOperations, KmsActions.ReadOperation,
        },
    };

    public static IReadOnlyCollection<string> All => Grants.Keys;

    public static bool IsKnown(string role) => Grants.ContainsKey(role);

    /// <summary>True when <paramref name="role"/> grants <paramref name="action"/>.</summary>
    public static bool GrantsAction(string role, string action) => Grants.TryGetValue(role, out var actions) && actions.Contains(action);

    public static IReadOnlySet<string> ActionsOf(string role) => Grants.TryGetValue(role, out var actions) ? actions : new HashSet<string>();
}
