using Azure;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>Key policies, policy simulation, role assignments and the audit routes through KmsClient.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientAccessAndAuditTests(KmsHostFixture host)
{
    private readonly KmsClient _client = KmsTestClients.Admin(host);

    [Fact]
    public async Task SetKeyPolicy_AllowStatement_IsReadBackAndLetsThatPrincipalEncrypt()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var principal = "client-policy-" + Guid.NewGuid().ToString("N")[..8];
        var noPolicy = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetKeyPolicyAsync(keyId));
        var policy = new KeyPolicy
        {
            Statements =
            {
                new KeyPolicyStatement
                {
                    Sid = "Billing", Principals = { principal }, Actions = { "kms:Encrypt" },
                    Conditions = new KeyPolicyConditions { ContextKeyEquals = new Dictionary<string, string> { ["tenant"] = "acme" } },
                },
            },
        };

        await _client.SetKeyPolicyAsync(keyId, policy);
        var readBack = await _client.GetKeyPolicyAsync(keyId);
        var decision = await _client.SimulatePolicyAsync(new PolicySimulation(principal, "kms:Encrypt")
        {
            KeyId = keyId, Context = new Dictionary<string, string> { ["tenant"] = "acme" },
        });
        var asPrincipal = KmsTestClients.Create(host, principal);
        var encrypted = await asPrincipal.EncryptAsync(keyId, "p"u8.ToArray(), new Dictionary<string, string> { ["tenant"] = "acme" });
        var otherTenant = await Assert.ThrowsAsync<RequestFailedException>(() =>
            asPrincipal.EncryptAsync(keyId, "p"u8.ToArray(), new Dictionary<string, string> { ["tenant"] = "evil" }));

        Assert.Equal((404, "PolicyNotFound"), (noPolicy.Status, noPolicy.ErrorCode));
        var statement = Assert.Single(readBack.Value.Statements);
        Assert.Equal(("Billing", "Allow"), (statement.Sid, statement.Effect));
        Assert.Equal("acme", statement.Conditions!.ContextKeyEquals!["tenant"]);
        Assert.True(decision.Value.Allowed);
        Assert.Equal("ALLOW_STATEMENT", decision.Value.Source);
        Assert.Equal(keyId, encrypted.Value.KeyId);
        Assert.Equal((403, "AccessDenied"), (otherTenant.Status, otherTenant.ErrorCode));
    }

    [Fact]
    public async Task SetKeyPolicy_InvalidDocument_ThrowsInvalidPolicy400()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => _client.SetKeyPolicyAsync(keyId, new KeyPolicy()));

        Assert.Equal((400, "InvalidPolicy"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public async Task RoleAssignments_CreateListDelete_GrantsAndRevokesAccessToOneKey()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var principal = "client-assignee-" + Guid.NewGuid().ToString("N")[..8];
        var asPrincipal = KmsTestClients.Create(host, principal);

        var assignment = await _client.CreateRoleAssignmentAsync(principal, KmsRoles.Crypto, keyId);
        var listed = await _client.GetRoleAssignmentsAsync(principal);
        var allowed = await asPrincipal.EncryptAsync(keyId, "x"u8.ToArray());
        var deleted = await _client.DeleteRoleAssignmentAsync(assignment.Value.Id);
        var deleteAgain = await Assert.ThrowsAsync<RequestFailedException>(() => _client.DeleteRoleAssignmentAsync(assignment.Value.Id));

        Assert.Equal(201, assignment.GetRawResponse().Status);
        Assert.Equal((principal, KmsRoles.Crypto, keyId), (assignment.Value.Principal, assignment.Value.Role, assignment.Value.Scope));
        Assert.Equal(assignment.Value.Id, Assert.Single(listed.Value).Id);
        Assert.Equal(keyId, allowed.Value.KeyId);
        Assert.Equal(204, deleted.Status);
        Assert.Equal((404, "RoleAssignmentNotFound"), (deleteAgain.Status, deleteAgain.ErrorCode));
    }

    [Fact]
    public async Task GetAuditRecords_FilteredByKey_FindsTheEncryptAndTheChainsVerify()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        await _client.EncryptAsync(keyId, "audited"u8.ToArray(), new Dictionary<string, string> { ["purpose"] = "secret-value" });

        var records = new List<AuditRecord>();
        await foreach (var record in _client.GetAuditRecordsAsync(new AuditQuery { KeyId = keyId, From = DateTimeOffset.UtcNow.AddHours(-1) }))
        {
            records.Add(record);
        }

        var verification = await _client.VerifyAuditAsync();

        var encrypt = Assert.Single(records, r => r.Operation == "Encrypt");
        Assert.Equal(("client-admin", 200), (encrypt.Principal, encrypt.Status));
        Assert.Equal(["purpose"], encrypt.ContextKeys);
        Assert.All(records, r => Assert.Equal(keyId, r.KeyId));
        Assert.True(verification.Value.Valid);
        Assert.True(verification.Value.Records > 0);
    }

    [Fact]
    public async Task GetAuditRecords_CallerWithoutAuditorRole_ThrowsAccessDenied403()
    {
        var cryptoOnly = KmsTestClients.Create(host, "client-not-auditor", KmsRoles.Crypto);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(async () =>
        {
            await foreach (var record in cryptoOnly.GetAuditRecordsAsync())
            {
                Assert.Fail($"Read {record.RequestId} without the auditor role.");
            }
        });

        Assert.Equal((403, "AccessDenied"), (failure.Status, failure.ErrorCode));
    }
}
