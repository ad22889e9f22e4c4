using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Authorization;

/// <summary>Every validation rule of the key policy document, one failing case each, plus the accepted limits.</summary>
public sealed class KeyPolicyDocumentValidationTests
{
    private const string Encrypt = "\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]";

    [Theory]
    [InlineData("""{"version":1,"statements":[]}""", "version: must be a string")]
    [InlineData("""{"version":"2026-11-30"}""", "statements: is required")]
    [InlineData("""{"version":"2026-11-30","statements":{}}""", "statements: must be an array")]
    [InlineData("""{"version":"2026-11-30","version":"2026-11-30","statements":[]}""", "version: appears more than once")]
    [InlineData("""{"version":"2026-11-30","statements":[1]}""", "statements[0]: must be an object")]
    public void Parse_InvalidRoot_InvalidPolicyNamingThePath(string json, string expected) => AssertInvalid(json, expected);

    [Theory]
    [InlineData("\"sid\":\"\"," + Encrypt, "statements[0].sid: must be 1 to 128")]
    [InlineData("\"sid\":7," + Encrypt, "statements[0].sid: must be a string")]
    [InlineData("\"sid\":\"semi;colon\"," + Encrypt, "statements[0].sid: must be 1 to 128")]
    [InlineData("\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]", "statements[0].effect: is required")]
    [InlineData("\"effect\":\"allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]", "statements[0].effect: must be \"Allow\" or \"Deny\"")]
    [InlineData("\"effect\":\"Allow\",\"actions\":[\"kms:Encrypt\"]", "statements[0].principals: is required")]
    [InlineData("\"effect\":\"Allow\",\"principals\":\"a\",\"actions\":[\"kms:Encrypt\"]", "statements[0].principals: must be an array")]
    [InlineData("\"effect\":\"Allow\",\"principals\":[\"a\",null],\"actions\":[\"kms:Encrypt\"]", "statements[0].principals[1]: must be a string")]
    [InlineData("\"effect\":\"Allow\",\"principals\":[\"a\"]", "statements[0].actions: is required")]
    [InlineData("\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[]", "statements[0].actions: must have 1 to 50 entries")]
    [InlineData("\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\",\"Encrypt\"]", "statements[0].actions[1]: unknown action 'Encrypt'")]
    [InlineData("\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"kms:encrypt\"]", "statements[0].actions[0]: unknown action 'kms:encrypt'")]
    [InlineData(Encrypt + ",\"resources\":[\"*\"]", "statements[0].resources: is not a known field")]
    [InlineData(Encrypt + ",\"Effect\":\"Deny\"", "statements[0].Effect: is not a known field")]
    public void Parse_InvalidStatement_InvalidPolicyNamingThePath(string statement, string expected) => AssertInvalid(Document(statement), expected);

    [Theory]
    [InlineData("[]", "statements[0].conditions: must be an object")]
    [InlineData("""{"contextKeyEquals":[]}""", "statements[0].conditions.contextKeyEquals: must be an object")]
    [InlineData("""{"contextKeyEquals":{}}""", "statements[0].conditions.contextKeyEquals: must not be empty")]
    [InlineData("""{"contextKeyEquals":{"tenant":null}}""", "statements[0].conditions.contextKeyEquals.tenant: must be a string")]
    [InlineData("""{"contextKeyEquals":{"tenant":"a","tenant":"b"}}""", "statements[0].conditions.contextKeyEquals.tenant: appears more than once")]
    [InlineData("""{"contextKeyPresent":"tenant"}""", "statements[0].conditions.contextKeyPresent: must be an array")]
    [InlineData("""{"contextKeyPresent":[]}""", "statements[0].conditions.contextKeyPresent: must have 1 to")]
    [InlineData("""{"contextKeyPresent":["tenant",1]}""", "statements[0].conditions.contextKeyPresent[1]: must be a string")]
    [InlineData("""{"sourceAddressInCidr":[]}""", "statements[0].conditions.sourceAddressInCidr: must have 1 to 20 entries")]
    [InlineData("""{"sourceAddressInCidr":["10.0.0.0/8","10.0.0.1"]}""", "statements[0].conditions.sourceAddressInCidr[1]: '10.0.0.1' is not a CIDR network")]
    [InlineData("""{"sourceAddressInCidr":["2001:db8::/129"]}""", "statements[0].conditions.sourceAddressInCidr[0]: '2001:db8::/129' is not a CIDR network")]
    [InlineData("""{"sourceAddressInCidr":["corp-network"]}""", "statements[0].conditions.sourceAddressInCidr[0]")]
    [InlineData("""{"notBefore":"2026-01-01T00:00:00"}""", "statements[0].conditions.notBefore: must be an ISO-8601 instant with an offset")]
    [InlineData("""{"notAfter":"2026-01-01T00:00:00"}""", "statements[0].conditions.notAfter: must be an ISO-8601 instant with an offset")]
    [InlineData("""{"notAfter":"2026-02-30T00:00:00Z"}""", "statements[0].conditions.notAfter: must be an ISO-8601 instant")]
    [InlineData("""{"notAfter":1767225600}""", "statements[0].conditions.notAfter: must be a string")]
    [InlineData("""{"notBefore":"2026-01-01T00:00:00Z","notAfter":"2026-01-01T00:00:00Z"}""", "statements[0].conditions.notAfter: must be later than notBefore")]
    [InlineData("""{"notBefore":"2026-01-01T01:00:00+01:00","notAfter":"2026-01-01T00:00:00Z"}""", "statements[0].conditions.notAfter: must be later than notBefore")]
    [InlineData("""{"sourceIp":["10.0.0.0/8"]}""", "statements[0].conditions.sourceIp: is not a known field")]
    public void Parse_InvalidConditions_InvalidPolicyNamingThePath(string conditions, string expected) =>
        AssertInvalid(Document(Encrypt + ",\"conditions\":" + conditions), expected);

    [Fact]
    public void Parse_ErrorInLaterStatement_PathNamesItsIndex()
    {
        var json = Document(Encrypt, Encrypt, "\"effect\":\"Deny\",\"principals\":[\"a\"],\"actions\":[\"kms:Decrypt\",\"kms:Encrpyt\"]");

        AssertInvalid(json, "statements[2].actions[1]: unknown action 'kms:Encrpyt'");
    }

    [Fact]
    public void Parse_UnknownPropertyInSecondStatementsConditions_Refused()
    {
        var json = Document(Encrypt, Encrypt + ",\"conditions\":{\"contextKeyPresent\":[\"t\"],\"notOnHolidays\":true}");

        AssertInvalid(json, "statements[1].conditions.notOnHolidays: is not a known field");
    }

    [Fact]
    public void Parse_FiftyOneStatements_Refused()
    {
        AssertInvalid(Document(Enumerable.Repeat(Encrypt, KeyPolicyDocument.MaxStatements + 1).ToArray()), "statements: must have 1 to 50 entries");
    }

    [Fact]
    public void Parse_FiftyStatements_Accepted()
    {
        var policy = KeyPolicyDocument.Parse(Document(Enumerable.Repeat(Encrypt, KeyPolicyDocument.MaxStatements).ToArray()));

        Assert.Equal(KeyPolicyDocument.MaxStatements, policy.Statements.Count);
    }

    [Fact]
    public void Parse_SidAtLengthLimit_AcceptedAndOneMoreRefused()
    {
        var longest = new string('s', 128);

        Assert.Equal(longest, KeyPolicyDocument.Parse(Document($"\"sid\":\"{longest}\"," + Encrypt)).Statements[0].Sid);
        AssertInvalid(Document($"\"sid\":\"{longest}s\"," + Encrypt), "statements[0].sid: must be 1 to 128");
    }

    [Fact]
    public void Parse_SidWithLettersDigitsUnderscoreAndHyphen_Accepted()
    {
        Assert.Equal("Allow_Billing-2", KeyPolicyDocument.Parse(Document("\"sid\":\"Allow_Billing-2\"," + Encrypt)).Statements[0].Sid);
    }

    [Fact]
    public void Parse_PrincipalsOverLimit_Refused()
    {
        var principals = string.Join(",", Enumerable.Range(0, KeyPolicyDocument.MaxPrincipals + 1).Select(i => $"\"p{i}\""));

        AssertInvalid(Document($"\"effect\":\"Allow\",\"principals\":[{principals}],\"actions\":[\"kms:Encrypt\"]"),
            "statements[0].principals: must have 1 to 100 entries");
    }

    [Fact]
    public void Parse_PrincipalLengthLimit_256AcceptedAnd257Refused()
    {
        var longest = new string('p', 256);

        Assert.Equal(longest, KeyPolicyDocument.Parse(Document($"\"effect\":\"Allow\",\"principals\":[\"{longest}\"],\"actions\":[\"kms:Encrypt\"]")).Statements[0].Principals[0]);
        AssertInvalid(Document($"\"effect\":\"Allow\",\"principals\":[\"a\",\"{longest}p\"],\"actions\":[\"kms:Encrypt\"]"),
            "statements[0].principals[1]: must be 1 to 256 characters");
    }

    [Fact]
    public void Parse_ActionsOverLimit_Refused()
    {
        var actions = string.Join(",", Enumerable.Repeat("\"kms:Encrypt\"", KeyPolicyDocument.MaxActions + 1));

        AssertInvalid(Document($"\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[{actions}]"), "statements[0].actions: must have 1 to 50 entries");
    }

    [Fact]
    public void Parse_EveryKnownActionAndWildcard_Accepted()
    {
        var actions = string.Join(",", KmsActions.All.Append(KmsActions.Wildcard).Select(a => $"\"{a}\""));

        var policy = KeyPolicyDocument.Parse(Document($"\"effect\":\"Deny\",\"principals\":[\"*\"],\"actions\":[{actions}]"));

        Assert.Equal(KmsActions.All.Count + 1, policy.Statements[0].Actions.Count);
        Assert.Equal(["*"], policy.Statements[0].Principals);
    }

    [Fact]
    public void Parse_NetworksOverLimit_RefusedAndTwentyAccepted()
    {
        string Networks(int count) => string.Join(",", Enumerable.Range(0, count).Select(i => $"\"10.{i}.0.0/16\""));

        var twenty = KeyPolicyDocument.Parse(Document(Encrypt + $",\"conditions\":{{\"sourceAddressInCidr\":[{Networks(20)}]}}"));

        Assert.Equal(20, twenty.Statements[0].Conditions!.SourceAddressInCidr!.Count);
        AssertInvalid(Document(Encrypt + $",\"conditions\":{{\"sourceAddressInCidr\":[{Networks(21)}]}}"),
            "statements[0].conditions.sourceAddressInCidr: must have 1 to 20 entries");
    }

    [Fact]
    public void Parse_InstantsWithOffsetsAndFractions_ReadAsTheSameInstant()
    {
        var policy = KeyPolicyDocument.Parse(Document(Encrypt
            + ",\"conditions\":{\"notBefore\":\"2026-01-01T09:30:00.5+09:30\",\"notAfter\":\"2026-01-01T00:00:01-00:00\"}"));

        var conditions = policy.Statements[0].Conditions!;
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, 500, TimeSpan.Zero), conditions.NotBefore);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero), conditions.NotAfter);
    }

    [Fact]
    public void Parse_UnknownActionLongerThanFortyCharacters_MessageEchoesOnlyAPrefix()
    {
        var action = "kms:" + new string('x', 500);

        var e = AssertInvalid(Document($"\"effect\":\"Allow\",\"principals\":[\"a\"],\"actions\":[\"{action}\"]"), "statements[0].actions[0]: unknown action");

        Assert.Contains(action[..40] + "...", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(action[..41], e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_LongInvalidEffectAndNetwork_MessagesEchoOnlyAPrefix()
    {
        var junk = new string('j', 300);

        Assert.True(AssertInvalid(Document($"\"effect\":\"{junk}\",\"principals\":[\"a\"],\"actions\":[\"kms:Encrypt\"]"), "statements[0].effect").Message.Length < 120);
        Assert.True(AssertInvalid(Document(Encrypt + $",\"conditions\":{{\"sourceAddressInCidr\":[\"{junk}\"]}}"),
            "statements[0].conditions.sourceAddressInCidr[0]").Message.Length < 140);
    }

    [Fact]
    public void Parse_DocumentOfExactlyTheLimit_Accepted()
    {
        var json = Document(Encrypt);
        var padded = json + new string(' ', KeyPolicyDocument.MaxDocumentLength - json.Length);

        Assert.Equal(32 * 1024, padded.Length);
        Assert.Single(KeyPolicyDocument.Parse(padded).Statements);
    }

    [Fact]
    public void Parse_DocumentOneCharacterOverTheLimit_InvalidPolicyBeforeParsing()
    {
        var json = Document(Encrypt);
        // Padded with whitespace, so only the length check can refuse it.
        var padded = json + new string(' ', KeyPolicyDocument.MaxDocumentLength - json.Length + 1);

        var e = AssertInvalid(padded, "$: the document is larger than 32768 characters");

        Assert.Equal(KmsErrorKind.BadRequest, e.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"version":"2026-11-30","statements":[],}""")]
    [InlineData("""{"version":"2026-11-30" /* note */,"statements":[]}""")]
    public void Parse_NotJson_InvalidPolicy(string json) => AssertInvalid(json, "not valid JSON");

    [Fact]
    public void Parse_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => KeyPolicyDocument.Parse(null!));
    }

    [Fact]
    public void Serialize_MinimalStatement_OmitsSidAndConditions()
    {
        var policy = new KeyPolicy(KeyPolicy.CurrentVersion, [new PolicyStatement(null, PolicyEffect.Deny, ["*"], [KmsActions.Wildcard], null)]);

        var json = KeyPolicyDocument.Serialize(policy);

        Assert.Equal("""
            {
              "version": "2026-11-30",
              "statements": [
                {
                  "effect": "Deny",
                  "principals": [
                    "*"
                  ],
                  "actions": [
                    "kms:*"
                  ]
                }
              ]
            }
            """, json.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Serialize_FullPolicy_CanonicalCamelCaseAndStructurallyEqualAfterParse()
    {
        var policy = new KeyPolicy(KeyPolicy.CurrentVersion,
        [
            new PolicyStatement("AllowBillingApp", PolicyEffect.Allow, ["billing-service", "svc-2"], [KmsActions.Encrypt, KmsActions.Decrypt],
                new PolicyConditions(
                    ContextKeyEquals: new Dictionary<string, string> { ["tenant"] = "acme", ["region"] = "eu" },
                    ContextKeyPresent: ["tenant"],
                    SourceAddressInCidr: ["10.0.0.0/8", "::1/128"],
                    NotBefore: new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.FromHours(1)),
                    NotAfter: new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero))),
            new PolicyStatement(null, PolicyEffect.Deny, ["*"], [KmsActions.Decrypt], new PolicyConditions(ContextKeyPresent: ["legacy"])),
        ]);

        var json = KeyPolicyDocument.Serialize(policy);
        var parsed = KeyPolicyDocument.Parse(json);

        Assert.Equal("""
            {
              "version": "2026-11-30",
              "statements": [
                {
                  "sid": "AllowBillingApp",
                  "effect": "Allow",
                  "principals": [
                    "billing-service",
                    "svc-2"
                  ],
                  "actions": [
                    "kms:Encrypt",
                    "kms:Decrypt"
                  ],
                  "conditions": {
                    "contextKeyEquals": {
                      "region": "eu",
                      "tenant": "acme"
                    },
                    "contextKeyPresent": [
                      "tenant"
                    ],
                    "sourceAddressInCidr": [
                      "10.0.0.0/8",
                      "::1/128"
                    ],
                    "notBefore": "2026-01-01T00:00:00Z",
                    "notAfter": "2027-01-01T00:00:00Z"
                  }
                },
                {
                  "effect": "Deny",
                  "principals": [
                    "*"
                  ],
                  "actions": [
                    "kms:Decrypt"
                  ],
                  "conditions": {
                    "contextKeyPresent": [
                      "legacy"
                    ]
                  }
                }
              ]
            }
            """, json.ReplaceLineEndings("\n"));
        AssertStructurallyEqual(policy, parsed);
        Assert.Equal(json, KeyPolicyDocument.Serialize(parsed));
    }

    [Fact]
    public void Serialize_FractionalSeconds_SurviveTheRoundTrip()
    {
        var notAfter = new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567);
        var policy = new KeyPolicy(KeyPolicy.CurrentVersion,
            [new PolicyStatement(null, PolicyEffect.Allow, ["a"], [KmsActions.Encrypt], new PolicyConditions(NotAfter: notAfter))]);

        var parsed = KeyPolicyDocument.Parse(KeyPolicyDocument.Serialize(policy));

        Assert.Equal(notAfter, parsed.Statements[0].Conditions!.NotAfter);
    }

    [Fact]
    public void Serialize_NonAsciiPrincipal_RoundTrips()
    {
        var policy = new KeyPolicy(KeyPolicy.CurrentVersion,
            [new PolicyStatement("S", PolicyEffect.Allow, ["dienst-café+<x>", "\"quoted\""], [KmsActions.Encrypt], null)]);

        var parsed = KeyPolicyDocument.Parse(KeyPolicyDocument.Serialize(policy));

        Assert.Equal(policy.Statements[0].Principals, parsed.Statements[0].Principals);
    }

    private static void AssertStructurallyEqual(KeyPolicy expected, KeyPolicy actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Statements.Count, actual.Statements.Count);
        foreach (var (e, a) in expected.Statements.Zip(actual.Statements))
        {
            Assert.Equal(e.Sid, a.Sid);
            Assert.Equal(e.Effect, a.Effect);
            Assert.Equal(e.Principals, a.Principals);
            Assert.Equal(e.Actions, a.Actions);
            Assert.Equal(e.Conditions is null, a.Conditions is null);
            if (e.Conditions is { } ec && a.Conditions is { } ac)
            {
                Assert.Equal(ec.ContextKeyEquals?.OrderBy(p => p.Key, StringComparer.Ordinal), ac.ContextKeyEquals?.OrderBy(p => p.Key, StringComparer.Ordinal));
                Assert.Equal(ec.ContextKeyPresent, ac.ContextKeyPresent);
                Assert.Equal(ec.SourceAddressInCidr, ac.SourceAddressInCidr);
                Assert.Equal(ec.NotBefore, ac.NotBefore);
                Assert.Equal(ec.NotAfter, ac.NotAfter);
            }
        }
    }

    private static string Document(params string[] statements) =>
        "{\"version\":\"2026-11-30\",\"statements\":[" + string.Join(",", statements.Select(s => "{" + s + "}")) + "]}";

    private static KmsException AssertInvalid(string json, string expected)
    {
        var e = Assert.Throws<KmsException>(() => KeyPolicyDocument.Parse(json));

        Assert.Equal(KmsErrorCodes.InvalidPolicy, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        return e;
    }
}
