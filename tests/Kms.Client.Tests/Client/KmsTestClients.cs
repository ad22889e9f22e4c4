using Kms.Client.Models;
using Kms.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Kms.Client.Tests.Client;

/// <summary>KmsClients for the in-process host, authenticated by KmsDevCredential with the host's dev issuer key.</summary>
internal static class KmsTestClients
{
    public static KmsClient Create(KmsHostFixture host, string principal, params string[] roles) =>
        new(host.BaseAddress, Credential(host, principal, roles));

    /// <summary>An admin who may also use keys, run operations and read the audit log.</summary>
    public static KmsClient Admin(KmsHostFixture host) =>
        Create(host, "client-admin", KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator, KmsRoles.Auditor);

    public static KmsDevCredential Credential(KmsHostFixture host, string principal, params string[] roles) =>
        new(IssuerKeyPem(host), principal, roles);

    /// <summary>The PEM of the host's dev issuer key, as infra/local/up.sh writes it to .data/local/dev-issuer.pem.</summary>
    public static string IssuerKeyPem(KmsHostFixture host) => ((ECDsaSecurityKey)host.Issuer.SigningKey).ECDsa.ExportPkcs8PrivateKeyPem();

    /// <summary>Polls an operation until it is final (3 minutes at most; the bound is a safety net, not an assertion).</summary>
    public static async Task<KmsOperation> WaitUntilAsync(KmsClient client, string operationId, Func<KmsOperation, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        KmsOperation operation;
        do
        {
            operation = (await client.GetOperationAsync(operationId)).Value;
            if (done(operation))
            {
                return operation;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"Operation {operationId} stayed {operation.State} at step {operation.Step}.");
        return operation;
    }

    public static Task<KmsOperation> WaitForFinalAsync(KmsClient client, string operationId) =>
        WaitUntilAsync(client, operationId, o => o.IsFinal);
}
