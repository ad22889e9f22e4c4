using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Cli.Tests.Commands;

/// <summary><c>audit tail</c> and <c>policy simulate</c> against the real KMS (their formatting has unit tests of its own).</summary>
[Collection(KmsHostCollection.Name)]
public sealed class AuditAndPolicyHostTests(KmsHostFixture host) : IDisposable
{
    private readonly HostCli _cli = new(host);

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task AuditTail_KeyFilterJson_HasTheKeysCreateRecord()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");

        var run = await _cli.RunAsync(["audit", "tail", "--key", keyId, "--json"], token: host.Token("cli-auditor", KmsRoles.Auditor));

        Assert.Equal(ExitCodes.Success, run.Code);
        Assert.Contains(run.Json().GetProperty("records").EnumerateArray(),
            r => r.GetProperty("operation").GetString() == "CreateKey" && r.GetProperty("principal").GetString() == KmsHostFixture.AdminPrincipal);
    }

    [Fact]
    public async Task AuditTail_WithoutAuditorRole_Exit3()
    {
        var run = await _cli.RunAsync(["audit", "tail"], token: host.Token($"crypto-{Guid.NewGuid():N}", KmsRoles.Crypto));

        Assert.Equal(ExitCodes.Denied, run.Code);
        Assert.Contains("AccessDenied", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicySimulate_RoleAllowsThenNoRoleDenies_Exit0Then3()
    {
        var keyId = await _cli.CreateKeyAsync("AES_256");
        var principal = $"svc-{Guid.NewGuid():N}";

        var allowed = await _cli.RunAsync(["policy", "simulate", "--principal", principal, "--action", "kms:Encrypt", "--key", keyId, "--role", KmsRoles.Crypto]);
        var denied = await _cli.RunAsync(["policy", "simulate", "--principal", principal, "--action", "kms:Encrypt", "--key", keyId, "--json"]);

        Assert.Equal(ExitCodes.Success, allowed.Code);
        Assert.StartsWith("ALLOW by ROLE", allowed.Output, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Denied, denied.Code);
        Assert.False(denied.Json().GetProperty("allowed").GetBoolean());
    }
}
