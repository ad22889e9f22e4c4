using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Authorization;

public sealed class KeyPolicyDocumentTests
{
    private const string Full = """
        {
          "version": "2026-11-30",
          "statements": [
            {
              "sid": "AllowBillingApp",
              "effect": "Allow",
              "principals": ["billing-service"],
              "actions": ["kms:Encrypt", "kms:Decrypt"],
              "conditions": {
                "contextKeyEquals": { "tenant": "acme" },
                "contextKeyPresent": ["tenant"],
                "sourceAddressInCidr": ["10.0.0.0/8", "::1/128"],
                "notBefore": "2026-01-01T00:00:00Z",
                "notAfter": "2027-01-01T00:00:00+01:00"
              }
            },
            { "effect": "Deny", "principals": ["*"], "actions": ["kms:*"] }
          ]
        }
        """;

    [Fact]
    public void Parse_FullDocument_ReadsEveryField_AndRoundTrips()
    {
        var policy = KeyPolicyDocument.Parse(Full);
        var again = KeyPolicyDocument.Parse(KeyPolicyDocument.Serialize(policy));

        var first = policy.Statements[0];
        Assert.Equal("AllowBillingApp", first.Sid);
        Assert.Equal(PolicyEffect.Allow, first.Effect);
        Assert.Equal("acme", first.Conditions!.ContextKeyEquals!["tenant"]);
        Assert.Equal(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero), first.Conditions.NotAfter);
        Assert.Equal(PolicyEffect.Deny, policy.Statements[1].Effect);
        Assert.Equal(KeyPolicyDocument.Serialize(policy), KeyPolicyDocument.Serialize(again));
        Assert.Equal(first.Conditions.SourceAddressInCidr, again.Statements[0].Conditions!.SourceAddressInCidr);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "$: must be an object")]
    [InlineData("""{"statements":[]}""", "version: is required")]
    [InlineData("""{"version":"1","statements":[]}""", "version: must be")]
    [InlineData("""{"version":"2026-11-30","statements":[]}""", "statements: must have 1 to 50 entries")]
    [InlineData("""{"version":"2026-11-30","statements":[],"extra":1}""", "extra: is not a known field")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Maybe","principals":["a"],"actions":["kms:Encrypt"]}]}""", "statements[0].effect")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":[],"actions":["kms:Encrypt"]}]}""", "statements[0].principals: must have")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":[""],"actions":["kms:Encrypt"]}]}""", "statements[0].principals[0]")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrpyt"]}]}""", "statements[0].actions[0]: unknown action 'kms:Encrpyt'")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":[1]}]}""", "statements[0].actions[0]: must be a string")]
    [InlineData("""{"version":"2026-11-30","statements":[{"sid":"has space","effect":"Allow","principals":["a"],"actions":["kms:Encrypt"]}]}""", "statements[0].sid")]
    [InlineData("""{"version":"2026-11-30","statements":[{"sid":"a","effect":"Allow","principals":["a"],"actions":["kms:Encrypt"]},{"sid":"a","effect":"Deny","principals":["a"],"actions":["kms:Encrypt"]}]}""", "sid 'a' is used more than once")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{}}]}""", "statements[0].conditions: must name")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"ipRange":["x"]}}]}""", "statements[0].conditions.ipRange: is not a known field")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"sourceAddressInCidr":["10.0.0.0/33"]}}]}""", "statements[0].conditions.sourceAddressInCidr[0]")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"contextKeyEquals":{"t":1}}}]}""", "statements[0].conditions.contextKeyEquals.t: must be a string")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"notBefore":"2026-01-01"}}]}""", "statements[0].conditions.notBefore")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"notBefore":"2027-01-01T00:00:00Z","notAfter":"2026-01-01T00:00:00Z"}}]}""", "statements[0].conditions.notAfter: must be later")]
    [InlineData("{\"version\":\"2026-11-30\",\"statements\":[{\"sid\":\"a\\n\",\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]}]}", "statements[0].sid")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"contextKeyPresent":[""]}}]}""", "statements[0].conditions.contextKeyPresent[0]: must not be empty")]
    [InlineData("""{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["a"],"actions":["kms:Encrypt"],"conditions":{"contextKeyEquals":{"":"x"}}}]}""", "keys must not be empty")]
    public void Parse_Invalid_InvalidPolicyNamingThePath(string json, string expected)
    {
        var e = Assert.Throws<KmsException>(() => KeyPolicyDocument.Parse(json));

        Assert.Equal(KmsErrorCodes.InvalidPolicy, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BrokenJson_SaysWhere()
    {
        var e = Assert.Throws<KmsException>(() => KeyPolicyDocument.Parse("{\n  \"version\": \"2026-11-30\",\n  \"statements\": [}"));

        Assert.Contains("line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverSizeLimit_InvalidPolicy()
    {
        var huge = """{"version":"2026-11-30","statements":[{"effect":"Allow","principals":["""
            + string.Join(",", Enumerable.Repeat("\"" + new string('p', 200) + "\"", 200)) + """],"actions":["kms:Encrypt"]}]}""";

        var e = Assert.Throws<KmsException>(() => KeyPolicyDocument.Parse(huge));

        Assert.Contains("larger than", e.Message, StringComparison.Ordinal);
    }
}
