using System.Net;
using Kms.Core.Authorization;

namespace Kms.Core.Tests.Authorization;

public sealed class PolicyEvaluatorTests
{
    private const string Key = "0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80";
    private const string OtherKey = "1b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80";
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Evaluate_RoleGrantsAction_AllowedByRole()
    {
        var decision = Evaluate("kms:Encrypt", [Grant(KmsRoles.Crypto)]);

        Assert.True(decision.Allowed);
        Assert.Equal(DecisionSource.Role, decision.Source);
        Assert.Contains("kms.crypto", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NoGrantNoPolicy_DefaultDeny()
    {
        var decision = Evaluate("kms:Encrypt", [Grant(KmsRoles.Auditor)]);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionSource.DefaultDeny, decision.Source);
    }

    [Fact]
    public void Evaluate_KeyScopedGrant_OnlyOnThatKey_NeverForKeyIndependentActions()
    {
        IReadOnlyList<RoleGrant> grants = [new(KmsRoles.Crypto, Key, "assignment:1")];

        Assert.True(Evaluate("kms:Encrypt", grants).Allowed);
        Assert.False(Evaluate("kms:Encrypt", grants, keyId: OtherKey).Allowed);
        Assert.False(Evaluate("kms:GenerateRandom", grants, keyId: null).Allowed);
        Assert.True(Evaluate("kms:GenerateRandom", [Grant(KmsRoles.Crypto)], keyId: null).Allowed);
    }

    [Fact]
    public void Evaluate_AllowStatement_GrantsWithoutRole()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:Decrypt", sid: "App"));

        var decision = Evaluate("kms:Decrypt", [], policy, principal: "app");

        Assert.True(decision.Allowed);
        Assert.Equal(DecisionSource.AllowStatement, decision.Source);
        Assert.Contains("App", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_DenyStatement_BeatsRoleAndAllow()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "*", "kms:*"), Statement(PolicyEffect.Deny, "alice", "kms:Decrypt", sid: "NoAlice"));

        var decision = Evaluate("kms:Decrypt", [Grant(KmsRoles.Crypto)], policy, principal: "alice");

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionSource.DenyStatement, decision.Source);
        Assert.Contains("NoAlice", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kms:GetKeyPolicy")]
    [InlineData("kms:PutKeyPolicy")]
    public void Evaluate_DenyAllStatement_CannotLockAdminsOutOfThePolicy(string action)
    {
        var policy = Policy(Statement(PolicyEffect.Deny, "*", "kms:*"));

        Assert.True(Evaluate(action, [Grant(KmsRoles.Admin)], policy).Allowed);
        Assert.False(Evaluate("kms:DescribeKey", [Grant(KmsRoles.Admin)], policy).Allowed);
    }

    [Fact]
    public void Evaluate_KeyPolicy_DoesNotApplyToKeyIndependentActions()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:*"));

        Assert.False(Evaluate("kms:CreateKey", [], policy, principal: "app").Allowed);
    }

    [Theory]
    [InlineData("acme", true)]
    [InlineData("evil", false)]
    [InlineData(null, false)]
    public void Evaluate_ContextKeyEquals(string? tenant, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:Encrypt",
            conditions: new PolicyConditions(ContextKeyEquals: new Dictionary<string, string> { ["tenant"] = "acme" })));
        var context = tenant is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["tenant"] = tenant };

        Assert.Equal(allowed, Evaluate("kms:Encrypt", [], policy, principal: "app", context: context).Allowed);
    }

    [Fact]
    public void Evaluate_ContextKeyPresent()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:Encrypt", conditions: new PolicyConditions(ContextKeyPresent: ["tenant"])));

        Assert.True(Evaluate("kms:Encrypt", [], policy, principal: "app", context: new Dictionary<string, string> { ["tenant"] = "x" }).Allowed);
        Assert.False(Evaluate("kms:Encrypt", [], policy, principal: "app", context: new Dictionary<string, string> { ["other"] = "x" }).Allowed);
        Assert.False(Evaluate("kms:Encrypt", [], policy, principal: "app", context: null).Allowed);
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:10.1.2.3", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("2001:db8::5", true)]
    [InlineData("2001:db9::5", false)]
    [InlineData(null, false)]
    public void Evaluate_SourceAddressInCidr(string? address, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:Encrypt",
            conditions: new PolicyConditions(SourceAddressInCidr: ["10.0.0.0/8", "2001:db8::/32"])));

        Assert.Equal(allowed, Evaluate("kms:Encrypt", [], policy, principal: "app", address: address is null ? null : IPAddress.Parse(address)).Allowed);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(59, true)]
    [InlineData(60, false)]
    public void Evaluate_TimeWindow_NotBeforeInclusive_NotAfterExclusive(int minutesAfterNoon, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", "kms:Encrypt",
            conditions: new PolicyConditions(NotBefore: Noon, NotAfter: Noon.AddHours(1))));

        Assert.Equal(allowed, Evaluate("kms:Encrypt", [], policy, principal: "app", time: Noon.AddMinutes(minutesAfterNoon)).Allowed);
    }

    [Fact]
    public void Evaluate_DenyWithUnmetCondition_DoesNotApply()
    {
        var policy = Policy(Statement(PolicyEffect.Deny, "*", "kms:Decrypt", conditions: new PolicyConditions(SourceAddressInCidr: ["203.0.113.0/24"])));

        Assert.True(Evaluate("kms:Decrypt", [Grant(KmsRoles.Crypto)], policy, address: IPAddress.Parse("10.0.0.1")).Allowed);
        Assert.False(Evaluate("kms:Decrypt", [Grant(KmsRoles.Crypto)], policy, address: IPAddress.Parse("203.0.113.9")).Allowed);
    }

    private static AccessDecision Evaluate(string action, IReadOnlyList<RoleGrant> grants, KeyPolicy? policy = null, string principal = "alice",
        string? keyId = Key, IReadOnlyDictionary<string, string>? context = null, IPAddress? address = null, DateTimeOffset? time = null) =>
        PolicyEvaluator.Evaluate(new AccessRequest(principal, action, keyId, context, address, time ?? Noon), grants, policy);

    private static RoleGrant Grant(string role) => new(role, RoleGrant.AllKeys, "token");

    private static KeyPolicy Policy(params PolicyStatement[] statements) => new(KeyPolicy.CurrentVersion, statements);

    private static PolicyStatement Statement(PolicyEffect effect, string principal, string action, string? sid = null, PolicyConditions? conditions = null) =>
        new(sid, effect, [principal], [action], conditions);
}
