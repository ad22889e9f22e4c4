using System.Net;
using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Authorization;

public sealed class ZzProbeTests
{
    private static string Doc(string statement) => "{\"version\":\"2026-11-30\",\"statements\":[" + statement + "]}";

    private static string Try(string json)
    {
        try { var p = KeyPolicyDocument.Parse(json); return "OK " + KeyPolicyDocument.Serialize(p).Replace("\n", " ", StringComparison.Ordinal); }
        catch (KmsException e) { return "ERR " + e.Message; }
    }

    [Fact]
    public void Probe()
    {
        var lines = new List<string>
        {
            Try(Doc("{\"sid\":\"abc\\n\",\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"notBefore\":\"2026-01-01T00:00:00Z\\n\"}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"" + new string('x', 300) + "\":1}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"contextKeyEquals\":{\"" + new string('k', 300) + "\":1}}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"sourceAddressInCidr\":[\"10.1.2.3/8\"]}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"sourceAddressInCidr\":[\"10.1.2.3\"]}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"sourceAddressInCidr\":[\" 10.0.0.0/8\"]}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"contextKeyEquals\":{\"\":\"x\"}}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"contextKeyPresent\":[\"\"]}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"notBefore\":\"2026-01-01T00:00:00+01:00\",\"notAfter\":\"2025-12-31T23:00:00Z\"}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"notBefore\":\"2026-13-01T00:00:00Z\"}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"notBefore\":\"2026-01-01T00:00:00+25:00\"}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"notBefore\":\"2026-01-01t00:00:00z\"}}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]} ,")),
            Try("{\"version\":\"2026-11-30\",\"version\":\"2026-11-30\",\"statements\":[]}"),
            Try(Doc("{\"sid\":\"" + new string('s', 120) + "\",\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]},{\"sid\":\"" + new string('s', 120) + "\",\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\u00e9+<\"],\"actions\":[\"kms:Encrypt\"]}")),
            Try(Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"],\"conditions\":{\"sourceAddressInCidr\":[\"fe80::1%eth0/128\"]}}")),
            Try(new string(' ', 32 * 1024 - 10) + Doc("{\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]}")),
            Try("{\"version\":\"2026-11-30\",\"statements\":[1]}"),
            Try("{\"version\":\"2026-11-30\",\"statements\":{}}"),
            Try("{\"version\":null,\"statements\":[]}"),
            Try(""),
            Try("{\"version\":\"2026-11-30\" /* c */,\"statements\":[]}"),
        };

        var mapped = IPAddress.Parse("::ffff:10.1.2.3");
        var policy = new KeyPolicy(KeyPolicy.CurrentVersion, [new PolicyStatement(null, PolicyEffect.Allow, ["*"], ["kms:*"],
            new PolicyConditions(SourceAddressInCidr: ["::ffff:0:0/96"]))]);
        lines.Add("mapped v6 net: " + PolicyEvaluator.Evaluate(new AccessRequest("a", "kms:Encrypt", "k", null, mapped, DateTimeOffset.UnixEpoch), [], policy));
        var scoped = IPAddress.Parse("fe80::1%2");
        var p2 = new KeyPolicy(KeyPolicy.CurrentVersion, [new PolicyStatement(null, PolicyEffect.Allow, ["*"], ["kms:*"],
            new PolicyConditions(SourceAddressInCidr: ["fe80::/64"]))]);
        lines.Add("scoped v6: " + PolicyEvaluator.Evaluate(new AccessRequest("a", "kms:Encrypt", "k", null, scoped, DateTimeOffset.UnixEpoch), [], p2));
        Assert.Fail(string.Join("\n", lines));
    }
}
