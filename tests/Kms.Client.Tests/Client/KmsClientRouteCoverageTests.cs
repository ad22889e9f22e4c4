using System.Text.Json;
using Kms.Api;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>Every route of the KMS has its KmsClient method: a route added to KmsRoutes without one fails here.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientRouteCoverageTests(KmsHostFixture host)
{
    private static readonly Dictionary<string, string[]> MethodsByRoute = new()
    {
        ["GetHealth"] = ["GetHealthAsync"],
        ["GetOpenApiDocument"] = ["GetOpenApiDocumentAsync"],
        ["CreateKey"] = ["CreateKeyAsync"],
        ["ListKeys"] = ["GetKeysAsync"],
        ["GetKey"] = ["GetKeyAsync"],
        ["EnableKey"] = ["EnableKeyAsync"],
        ["DisableKey"] = ["DisableKeyAsync"],
        ["RotateKey"] = ["RotateKeyAsync"],
        ["SetRotationPolicy"] = ["SetRotationPolicyAsync"],
        ["ListKeyVersions"] = ["GetKeyVersionsAsync"],
        ["EnableKeyVersion"] = ["EnableKeyVersionAsync"],
        ["DisableKeyVersion"] = ["DisableKeyVersionAsync"],
        ["ScheduleKeyDeletion"] = ["ScheduleKeyDeletionAsync"],
        ["CancelKeyDeletion"] = ["CancelKeyDeletionAsync"],
        ["SetDeletionProtection"] = ["SetDeletionProtectionAsync"],
        ["GetKeyPolicy"] = ["GetKeyPolicyAsync"],
        ["PutKeyPolicy"] = ["SetKeyPolicyAsync"],
        ["SimulatePolicy"] = ["SimulatePolicyAsync"],
        ["ListRoleAssignments"] = ["GetRoleAssignmentsAsync"],
        ["CreateRoleAssignment"] = ["CreateRoleAssignmentAsync"],
        ["DeleteRoleAssignment"] = ["DeleteRoleAssignmentAsync"],
        ["StartRotation"] = ["StartRotationAsync"],
        ["RevokeKeyVersions"] = ["RevokeKeyVersionsAsync"],
        ["StartRewrap"] = ["StartRewrapAsync"],
        ["StartRootKeyRotation"] = ["StartRootKeyRotationAsync"],
        ["ListOperations"] = ["GetOperationsAsync"],
        ["GetOperation"] = ["GetOperationAsync"],
        ["PauseOperation"] = ["PauseOperationAsync"],
        ["ResumeOperation"] = ["ResumeOperationAsync"],
        ["ApproveOperation"] = ["ApproveOperationAsync"],
        ["CancelOperation"] = ["CancelOperationAsync"],
        ["QueryAudit"] = ["GetAuditRecordsAsync"],
        ["VerifyAudit"] = ["VerifyAuditAsync"],
        ["PutAlias"] = ["SetAliasAsync"],
        ["DeleteAlias"] = ["DeleteAliasAsync"],
        ["Encrypt"] = ["EncryptAsync", "EncryptBatchAsync"],
        ["Decrypt"] = ["DecryptAsync", "DecryptBatchAsync"],
        ["ReEncrypt"] = ["ReEncryptAsync", "ReEncryptBatchAsync"],
        ["GenerateDataKey"] = ["GenerateDataKeyAsync"],
        ["Sign"] = ["SignAsync", "SignDigestAsync"],
        ["Verify"] = ["VerifyAsync", "VerifyDigestAsync"],
        ["GetPublicKey"] = ["GetPublicKeyAsync"],
        ["GenerateMac"] = ["GenerateMacAsync"],
        ["VerifyMac"] = ["VerifyMacAsync"],
        ["GenerateRandom"] = ["GenerateRandomAsync"],
    };

    [Fact]
    public void KmsRoutes_EveryRoute_HasAPublicVirtualKmsClientMethod()
    {
        var methods = typeof(KmsClient).GetMethods().Where(m => m.IsPublic && m.IsVirtual).Select(m => m.Name).ToHashSet();

        foreach (var route in KmsRoutes.All)
        {
            Assert.True(MethodsByRoute.TryGetValue(route.Name, out var names), $"Route {route.Name} ({route.Method} {route.Template}) has no KmsClient method.");
            Assert.All(names, name => Assert.Contains(name, methods));
        }
    }

    [Fact]
    public async Task GetOpenApiDocument_RunningHost_DescribesTheApiPaths()
    {
        var client = KmsTestClients.Create(host, "client-openapi-reader");

        var document = await client.GetOpenApiDocumentAsync();

        using var json = JsonDocument.Parse(document.Value);
        Assert.True(json.RootElement.GetProperty("paths").TryGetProperty("/api/keys/{keyIdOrAlias}/encrypt", out _));
    }

    [Fact]
    public async Task KmsDevCredential_FromTheKeyFileUpShWrites_IsAcceptedByTheKms()
    {
        var keyFile = Path.Combine(Path.GetTempPath(), LocalStack.UniqueName("dev-issuer") + ".pem");
        await File.WriteAllTextAsync(keyFile, KmsTestClients.IssuerKeyPem(host));
        try
        {
            using var credential = KmsDevCredential.FromKeyFile(keyFile, "client-file-user", "kms.crypto");
            var client = new KmsClient(host.BaseAddress, credential);

            var random = await client.GenerateRandomAsync(16);

            Assert.Equal(16, random.Value.Length);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }
}
