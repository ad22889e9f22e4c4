using System.Net;
using Kms.Core.Authorization;

namespace Kms.Core.Tests.Authorization;

/// <summary>The evaluation order (Deny, role, Allow, default deny), its exceptions, and every condition's edges.</summary>
public sealed class PolicyEvaluatorRuleTests
{
    private const string Key = "0b5e8f52-7c1d-4e4a-9a57-3f2d6c1e9b80";
    private const string OtherKey = "7f00e2aa-5d1b-4c58-8f5e-1d2f3a4b5c6d";
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    // The complement of 10.0.0.0/8 in IPv4, and all of IPv6: a Deny cannot negate a condition, so
    // "outside 10.0.0.0/8" is written as the networks that are not 10.0.0.0/8.
    private static readonly string[] OutsideTenSlashEight =
        ["0.0.0.0/5", "8.0.0.0/7", "11.0.0.0/8", "12.0.0.0/6", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/1", "::/0"];

    [Fact]
    public void Evaluate_RoleFromAssignment_ReasonNamesRoleSourceAndScope()
    {
        var decision = Evaluate(KmsActions.Sign, [new RoleGrant(KmsRoles.Crypto, Key, "assignment:42")]);

        Assert.True(decision.Allowed);
        Assert.Equal(DecisionSource.Role, decision.Source);
        Assert.Equal($"role kms.crypto (assignment:42, scope {Key})", decision.Reason);
    }

    [Fact]
    public void Evaluate_SeveralGrantsMatch_FirstInListOrderDecides()
    {
        IReadOnlyList<RoleGrant> grants =
        [
            new(KmsRoles.Auditor, RoleGrant.AllKeys, "token"),
            new(KmsRoles.Crypto, Key, "assignment:1"),
            new(KmsRoles.Crypto, RoleGrant.AllKeys, "token"),
        ];

        var decision = Evaluate(KmsActions.Encrypt, grants);

        Assert.Contains("assignment:1", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KmsActions.GenerateRandom, KmsRoles.Crypto)]
    [InlineData(KmsActions.CreateKey, KmsRoles.Admin)]
    [InlineData(KmsActions.ListKeys, KmsRoles.Operator)]
    [InlineData(KmsActions.ManageRoleAssignments, KmsRoles.Admin)]
    [InlineData(KmsActions.ReadAudit, KmsRoles.Auditor)]
    public void Evaluate_KeyScopedGrantForKeyIndependentAction_DefaultDenyEvenWhenKeyIdGiven(string action, string role)
    {
        IReadOnlyList<RoleGrant> scoped = [new(role, Key, "assignment:1")];

        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(action, scoped, keyId: Key).Source);
        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(action, scoped, keyId: null).Source);
        Assert.True(Evaluate(action, [new(role, RoleGrant.AllKeys, "token")], keyId: null).Allowed);
    }

    [Fact]
    public void Evaluate_KeyScopedGrant_ScopeComparedOrdinally()
    {
        IReadOnlyList<RoleGrant> grants = [new(KmsRoles.Crypto, Key.ToUpperInvariant(), "assignment:1")];

        Assert.False(Evaluate(KmsActions.Encrypt, grants, keyId: Key).Allowed);
    }

    [Fact]
    public void Evaluate_KeyScopedGrantForAnotherKey_DefaultDeny()
    {
        var decision = Evaluate(KmsActions.Decrypt, [new(KmsRoles.Crypto, OtherKey, "assignment:1")]);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionSource.DefaultDeny, decision.Source);
        Assert.Equal("no role or key policy statement grants kms:Decrypt", decision.Reason);
    }

    [Fact]
    public void Evaluate_UnknownRole_GrantsNothing()
    {
        Assert.False(Evaluate(KmsActions.Encrypt, [new("kms.superuser", RoleGrant.AllKeys, "token")]).Allowed);
    }

    [Fact]
    public void Evaluate_RoleWithoutThatAction_DefaultDeny()
    {
        // An admin manages keys but cannot use them.
        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(KmsActions.Decrypt, [Grant(KmsRoles.Admin)]).Source);
    }

    [Fact]
    public void Evaluate_DenyStatement_BeatsRoleAlone()
    {
        var policy = Policy(Statement(PolicyEffect.Deny, "alice", KmsActions.Encrypt, sid: "NoAlice"));

        var decision = Evaluate(KmsActions.Encrypt, [Grant(KmsRoles.Crypto)], policy);

        Assert.False(decision.Allowed);
        Assert.Equal(DecisionSource.DenyStatement, decision.Source);
        Assert.Equal("key policy statement NoAlice (Deny)", decision.Reason);
    }

    [Fact]
    public void Evaluate_DenyStatementListedAfterAllow_StillBeatsAllow()
    {
        var policy = Policy(
            Statement(PolicyEffect.Allow, "app", KmsActions.Decrypt, sid: "AllowApp"),
            Statement(PolicyEffect.Deny, "*", KmsActions.Decrypt, sid: "DenyAll"));

        var decision = Evaluate(KmsActions.Decrypt, [], policy, principal: "app");

        Assert.Equal(DecisionSource.DenyStatement, decision.Source);
        Assert.Contains("DenyAll", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_SeveralDenyStatementsMatch_FirstNamed()
    {
        var policy = Policy(
            Statement(PolicyEffect.Deny, "bob", KmsActions.Decrypt, sid: "NotBob"),
            Statement(PolicyEffect.Deny, "alice", KmsActions.Decrypt, sid: "First"),
            Statement(PolicyEffect.Deny, "*", KmsActions.Wildcard, sid: "Second"));

        Assert.Contains("First", Evaluate(KmsActions.Decrypt, [Grant(KmsRoles.Crypto)], policy).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_StatementWithoutSid_ReasonNamesItsIndex()
    {
        var policy = Policy(
            Statement(PolicyEffect.Allow, "bob", KmsActions.Decrypt),
            Statement(PolicyEffect.Allow, "app", KmsActions.Decrypt));

        var decision = Evaluate(KmsActions.Decrypt, [], policy, principal: "app");

        Assert.Equal("key policy statement #1 (Allow)", decision.Reason);
    }

    [Fact]
    public void Evaluate_RoleAndAllowBothGrant_RoleNamed()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "*", KmsActions.Wildcard, sid: "Everyone"));

        Assert.Equal(DecisionSource.Role, Evaluate(KmsActions.Encrypt, [Grant(KmsRoles.Crypto)], policy).Source);
    }

    [Theory]
    [InlineData(KmsActions.GetKeyPolicy)]
    [InlineData(KmsActions.PutKeyPolicy)]
    public void Evaluate_PolicyManagement_DecidedByRolesAlone(string action)
    {
        var denyAll = Policy(Statement(PolicyEffect.Deny, "*", KmsActions.Wildcard, sid: "Lockdown"), Statement(PolicyEffect.Deny, "*", action));
        var allowApp = Policy(Statement(PolicyEffect.Allow, "app", action), Statement(PolicyEffect.Allow, "*", KmsActions.Wildcard));

        Assert.Equal(DecisionSource.Role, Evaluate(action, [Grant(KmsRoles.Admin)], denyAll).Source);
        Assert.Equal(DecisionSource.Role, Evaluate(action, [new(KmsRoles.Admin, Key, "assignment:9")], denyAll).Source);
        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(action, [], allowApp, principal: "app").Source);
    }

    [Fact]
    public void Evaluate_DenyAllPolicy_StillRefusesOtherAdminActionsOnTheKey()
    {
        var policy = Policy(Statement(PolicyEffect.Deny, "*", KmsActions.Wildcard, sid: "Lockdown"));

        Assert.Equal(DecisionSource.DenyStatement, Evaluate(KmsActions.ScheduleKeyDeletion, [Grant(KmsRoles.Admin)], policy).Source);
        Assert.Equal(DecisionSource.DenyStatement, Evaluate(KmsActions.DisableKey, [Grant(KmsRoles.Admin)], policy).Source);
    }

    [Theory]
    [InlineData(KmsActions.GenerateRandom, KmsRoles.Crypto)]
    [InlineData(KmsActions.CreateKey, KmsRoles.Admin)]
    [InlineData(KmsActions.ListKeys, KmsRoles.Auditor)]
    public void Evaluate_KeyIndependentAction_IgnoresDenyStatements(string action, string role)
    {
        var policy = Policy(Statement(PolicyEffect.Deny, "*", KmsActions.Wildcard), Statement(PolicyEffect.Deny, "*", action));

        Assert.Equal(DecisionSource.Role, Evaluate(action, [Grant(role)], policy, keyId: Key).Source);
    }

    [Fact]
    public void Evaluate_NoKeyId_PolicyIgnored()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt), Statement(PolicyEffect.Deny, "*", KmsActions.Wildcard));

        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", keyId: null).Source);
        Assert.Equal(DecisionSource.Role, Evaluate(KmsActions.Encrypt, [Grant(KmsRoles.Crypto)], policy, keyId: null).Source);
    }

    [Fact]
    public void Evaluate_WildcardPrincipalAndAction_MatchAnyPrincipalAndKeyAction()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "*", KmsActions.Wildcard, sid: "Open"));

        foreach (var action in new[] { KmsActions.Encrypt, KmsActions.DescribeKey, KmsActions.RotateKey, KmsActions.ScheduleKeyDeletion })
        {
            var decision = Evaluate(action, [], policy, principal: "anyone-" + action);

            Assert.Equal(DecisionSource.AllowStatement, decision.Source);
            Assert.Contains("Open", decision.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Evaluate_PrincipalAndAction_ComparedOrdinally()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "App", KmsActions.Encrypt));

        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app").Allowed);
        Assert.False(Evaluate("kms:encrypt", [], policy, principal: "App").Allowed);
        Assert.True(Evaluate(KmsActions.Encrypt, [], policy, principal: "App").Allowed);
    }

    [Fact]
    public void Evaluate_AllowForOtherAction_DefaultDeny()
    {
        var policy = Policy(new PolicyStatement("Billing", PolicyEffect.Allow, ["svc-billing"], [KmsActions.Encrypt, KmsActions.Decrypt], null));

        Assert.True(Evaluate(KmsActions.Decrypt, [], policy, principal: "svc-billing").Allowed);
        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(KmsActions.Sign, [], policy, principal: "svc-billing").Source);
        Assert.Equal(DecisionSource.DefaultDeny, Evaluate(KmsActions.Decrypt, [], policy, principal: "svc-other").Source);
    }

    [Fact]
    public void Evaluate_ContextKeyEquals_NullContext_ConditionFalse()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(ContextKeyEquals: Pairs(("tenant", "acme")))));

        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: null).Allowed);
    }

    [Theory]
    [InlineData("acme", "eu", true)]
    [InlineData("acme", "us", false)]
    [InlineData("ACME", "eu", false)]
    [InlineData("acme ", "eu", false)]
    [InlineData("acme", null, false)]
    public void Evaluate_ContextKeyEquals_EveryPairMustMatchOrdinally(string tenant, string? region, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt,
            conditions: new(ContextKeyEquals: Pairs(("tenant", "acme"), ("region", "eu")))));
        var context = new Dictionary<string, string>(StringComparer.Ordinal) { ["tenant"] = tenant, ["extra"] = "ignored" };
        if (region is not null)
        {
            context["region"] = region;
        }

        Assert.Equal(allowed, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: context).Allowed);
    }

    [Fact]
    public void Evaluate_ContextKeyEquals_KeyComparedOrdinally()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(ContextKeyEquals: Pairs(("tenant", "acme")))));

        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: Pairs(("Tenant", "acme"))).Allowed);
    }

    [Fact]
    public void Evaluate_ContextKeyPresent_EveryKeyRequired_AnyValue()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(ContextKeyPresent: ["tenant", "invoice"])));

        Assert.True(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: Pairs(("tenant", ""), ("invoice", "1"))).Allowed);
        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: Pairs(("tenant", "a"))).Allowed);
        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", context: new Dictionary<string, string>()).Allowed);
    }

    [Theory]
    [InlineData("10.0.0.0", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("9.255.255.255", false)]
    [InlineData("11.0.0.0", false)]
    [InlineData("::ffff:10.20.30.40", true)]
    [InlineData("::ffff:192.168.0.1", false)]
    [InlineData("::10.20.30.40", false)]
    [InlineData("::1", false)]
    public void Evaluate_Ipv4Network(string address, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(SourceAddressInCidr: ["10.0.0.0/8"])));

        Assert.Equal(allowed, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", address: IPAddress.Parse(address)).Allowed);
    }

    [Theory]
    [InlineData("::1", true)]
    [InlineData("::2", false)]
    [InlineData("fd00:1234::1", true)]
    [InlineData("fe00::1", false)]
    [InlineData("127.0.0.1", false)]
    public void Evaluate_Ipv6Networks(string address, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(SourceAddressInCidr: ["::1/128", "fd00::/8"])));

        Assert.Equal(allowed, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", address: IPAddress.Parse(address)).Allowed);
    }

    [Fact]
    public void Evaluate_DenyWithAddressCondition_NullAddress_DoesNotApply()
    {
        // A missing address makes the condition false, so the Deny does not match and the role decides.
        var policy = Policy(Statement(PolicyEffect.Deny, "*", KmsActions.Decrypt, conditions: new(SourceAddressInCidr: ["0.0.0.0/0", "::/0"])));

        Assert.Equal(DecisionSource.Role, Evaluate(KmsActions.Decrypt, [Grant(KmsRoles.Crypto)], policy, address: null).Source);
        Assert.Equal(DecisionSource.DenyStatement,
            Evaluate(KmsActions.Decrypt, [Grant(KmsRoles.Crypto)], policy, address: IPAddress.Loopback).Source);
    }

    [Fact]
    public void Evaluate_SamePolicyManyTimes_ConsistentAnswers()
    {
        var policy = KeyPolicyDocument.Parse("""
            {"version":"2026-11-30","statements":[
              {"effect":"Allow","principals":["app"],"actions":["kms:Encrypt"],"conditions":{"sourceAddressInCidr":["10.0.0.0/8","2001:db8::/32"]}}]}
            """);

        for (var i = 0; i < 100; i++)
        {
            Assert.True(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", address: IPAddress.Parse("10.0.0." + (i % 250))).Allowed);
            Assert.True(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", address: IPAddress.Parse("2001:db8::" + i)).Allowed);
            Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", address: IPAddress.Parse("172.16.0." + (i % 250))).Allowed);
        }
    }

    [Fact]
    public void Evaluate_EqualPoliciesFromSeparateParses_EvaluateIndependently()
    {
        // Parsed networks are cached per conditions instance; records compare by value, so prove two
        // value-equal-looking instances with different networks do not share an entry.
        var a = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(SourceAddressInCidr: ["10.0.0.0/8"])));
        var b = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(SourceAddressInCidr: ["192.168.0.0/16"])));
        var address = IPAddress.Parse("192.168.1.1");

        Assert.False(Evaluate(KmsActions.Encrypt, [], a, principal: "app", address: address).Allowed);
        Assert.True(Evaluate(KmsActions.Encrypt, [], b, principal: "app", address: address).Allowed);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    public void Evaluate_NotBeforeOnly_InclusiveToTheTick(int ticks, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(NotBefore: Noon)));

        Assert.Equal(allowed, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", time: Noon.AddTicks(ticks)).Allowed);
    }

    [Theory]
    [InlineData(-1, true)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    public void Evaluate_NotAfterOnly_ExclusiveToTheTick(int ticks, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt, conditions: new(NotAfter: Noon)));

        Assert.Equal(allowed, Evaluate(KmsActions.Encrypt, [], policy, principal: "app", time: Noon.AddTicks(ticks)).Allowed);
    }

    [Fact]
    public void Evaluate_TimeWindowInAnotherOffset_ComparesInstants()
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Encrypt,
            conditions: new(NotBefore: new DateTimeOffset(2026, 11, 30, 13, 0, 0, TimeSpan.FromHours(1)))));

        Assert.True(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", time: Noon).Allowed);
        Assert.False(Evaluate(KmsActions.Encrypt, [], policy, principal: "app", time: Noon.AddTicks(-1)).Allowed);
    }

    [Theory]
    [InlineData("acme", "10.1.1.1", 0, true)]
    [InlineData("other", "10.1.1.1", 0, false)]
    [InlineData("acme", "192.0.2.1", 0, false)]
    [InlineData("acme", "10.1.1.1", 2, false)]
    public void Evaluate_AllConditionsTogether_EachMustHold(string tenant, string address, int hoursAfterNoon, bool allowed)
    {
        var policy = Policy(Statement(PolicyEffect.Allow, "app", KmsActions.Decrypt, conditions: new(
            ContextKeyEquals: Pairs(("tenant", "acme")),
            ContextKeyPresent: ["tenant"],
            SourceAddressInCidr: ["10.0.0.0/8"],
            NotBefore: Noon,
            NotAfter: Noon.AddHours(1))));

        var decision = Evaluate(KmsActions.Decrypt, [], policy, principal: "app", context: Pairs(("tenant", tenant)),
            address: IPAddress.Parse(address), time: Noon.AddHours(hoursAfterNoon));

        Assert.Equal(allowed, decision.Allowed);
    }

    // The worked examples of docs/authorization.md, as operators would write them.

    [Fact]
    public void Example_OneServiceOneKeyWithoutCryptoRole_AllowedOnThatKeyOnly()
    {
        var policy = KeyPolicyDocument.Parse("""
            {"version":"2026-11-30","statements":[
              {"sid":"Billing","effect":"Allow","principals":["svc-billing"],"actions":["kms:Encrypt","kms:Decrypt"]}]}
            """);

        Assert.Equal(DecisionSource.AllowStatement, Evaluate(KmsActions.Encrypt, [], policy, principal: "svc-billing").Source);
        Assert.Equal(DecisionSource.AllowStatement, Evaluate(KmsActions.Decrypt, [], policy, principal: "svc-billing").Source);
        Assert.False(Evaluate(KmsActions.Sign, [], policy, principal: "svc-billing").Allowed);
        // Another key has its own (here: no) policy.
        Assert.False(Evaluate(KmsActions.Encrypt, [], null, principal: "svc-billing", keyId: OtherKey).Allowed);
        Assert.False(Evaluate(KmsActions.GenerateRandom, [], policy, principal: "svc-billing").Allowed);
    }

    [Theory]
    [InlineData("10.0.0.1", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("::ffff:10.9.8.7", true)]
    [InlineData("9.255.255.255", false)]
    [InlineData("11.0.0.0", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("255.255.255.255", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("2001:db8::1", false)]
    [InlineData("::1", false)]
    public void Example_DenyDecryptOutsideTenSlashEight_RoleHoldersRefusedOutside(string address, bool allowed)
    {
        var networks = string.Join(",", OutsideTenSlashEight.Select(n => $"\"{n}\""));
        var policy = KeyPolicyDocument.Parse($$$"""
            {"version":"2026-11-30","statements":[
              {"sid":"DecryptOnlyFromTenNet","effect":"Deny","principals":["*"],"actions":["kms:Decrypt"],
               "conditions":{"sourceAddressInCidr":[{{{networks}}}]}}]}
            """);

        var decision = Evaluate(KmsActions.Decrypt, [Grant(KmsRoles.Crypto)], policy, address: IPAddress.Parse(address));

        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(allowed ? DecisionSource.Role : DecisionSource.DenyStatement, decision.Source);
        Assert.True(Evaluate(KmsActions.Encrypt, [Grant(KmsRoles.Crypto)], policy, address: IPAddress.Parse(address)).Allowed);
    }

    [Theory]
    [InlineData("acme", true)]
    [InlineData("globex", false)]
    [InlineData(null, false)]
    public void Example_RequireTenantContext_OnlyMatchingContextAllowed(string? tenant, bool allowed)
    {
        var policy = KeyPolicyDocument.Parse("""
            {"version":"2026-11-30","statements":[
              {"sid":"AcmeOnly","effect":"Allow","principals":["svc-acme"],"actions":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey"],
               "conditions":{"contextKeyEquals":{"tenant":"acme"}}}]}
            """);
        var context = tenant is null ? Pairs(("invoice", "1")) : Pairs(("tenant", tenant));

        var decision = Evaluate(KmsActions.Decrypt, [], policy, principal: "svc-acme", context: context);

        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(allowed ? "key policy statement AcmeOnly (Allow)" : "no role or key policy statement grants kms:Decrypt", decision.Reason);
    }

    [Fact]
    public void Evaluate_NullArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => PolicyEvaluator.Evaluate(null!, [], null));
        Assert.Throws<ArgumentNullException>(() =>
            PolicyEvaluator.Evaluate(new AccessRequest("a", KmsActions.Encrypt, Key, null, null, Noon), null!, null));
    }

    private static AccessDecision Evaluate(string action, IReadOnlyList<RoleGrant> grants, KeyPolicy? policy = null, string principal = "alice",
        string? keyId = Key, IReadOnlyDictionary<string, string>? context = null, IPAddress? address = null, DateTimeOffset? time = null) =>
        PolicyEvaluator.Evaluate(new AccessRequest(principal, action, keyId, context, address, time ?? Noon), grants, policy);

    private static RoleGrant Grant(string role) => new(role, RoleGrant.AllKeys, "token");

    private static Dictionary<string, string> Pairs(params (string Key, string Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    private static KeyPolicy Policy(params PolicyStatement[] statements) => new(KeyPolicy.CurrentVersion, statements);

    private static PolicyStatement Statement(PolicyEffect effect, string principal, string action, string? sid = null, PolicyConditions? conditions = null) =>
        new(sid, effect, [principal], [action], conditions);
}
