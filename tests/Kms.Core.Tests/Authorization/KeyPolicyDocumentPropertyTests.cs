using System.Text;
using FsCheck.Xunit;
using Kms.Core.Authorization;
using Kms.Core.Errors;

namespace Kms.Core.Tests.Authorization;

/// <summary>
/// Properties of the key-policy parser (docs/authorization.md): any valid policy survives serialize → parse unchanged, and
/// any text, including every mutation of a valid document, parses or fails with InvalidPolicy, never another exception.
/// </summary>
public sealed class KeyPolicyDocumentPropertyTests
{
    private static readonly string[] Actions = [.. KmsActions.All.Order(StringComparer.Ordinal), KmsActions.Wildcard];

    private static readonly string[] Networks = ["10.0.0.0/8", "192.168.1.0/24", "fd00::/8", "2001:db8::/32", "0.0.0.0/0", "127.0.0.1/32"];

    [Property(MaxTest = 300)]
    public void SerializeThenParse_AnyValidPolicy_IsTheSamePolicy(int seed)
    {
        var policy = RandomPolicy(new Random(seed));
        var json = KeyPolicyDocument.Serialize(policy);

        var parsed = KeyPolicyDocument.Parse(json);

        Assert.Equal(json, KeyPolicyDocument.Serialize(parsed));
        Assert.Equal(policy.Statements.Count, parsed.Statements.Count);
        for (var i = 0; i < policy.Statements.Count; i++)
        {
            var (expected, actual) = (policy.Statements[i], parsed.Statements[i]);
            Assert.Equal(expected.Sid, actual.Sid);
            Assert.Equal(expected.Effect, actual.Effect);
            Assert.Equal(expected.Principals, actual.Principals);
            Assert.Equal(expected.Actions, actual.Actions);
            Assert.Equal(expected.Conditions?.NotBefore, actual.Conditions?.NotBefore);
            Assert.Equal(expected.Conditions?.NotAfter, actual.Conditions?.NotAfter);
            Assert.Equal(expected.Conditions?.ContextKeyPresent, actual.Conditions?.ContextKeyPresent);
            Assert.Equal(expected.Conditions?.SourceAddressInCidr, actual.Conditions?.SourceAddressInCidr);
            Assert.Equal(expected.Conditions?.ContextKeyEquals?.OrderBy(p => p.Key, StringComparer.Ordinal),
                actual.Conditions?.ContextKeyEquals?.OrderBy(p => p.Key, StringComparer.Ordinal));
        }
    }

    [Property(MaxTest = 1000)]
    public void Parse_AnyMutationOfAValidDocument_ParsesOrFailsWithInvalidPolicy(int seed)
    {
        var rng = new Random(seed);
        var json = KeyPolicyDocument.Serialize(RandomPolicy(rng));
        var mutated = Mutate(rng, json);

        AssertParsesOrInvalidPolicy(mutated);
    }

    [Property(MaxTest = 500)]
    public void Parse_AnyString_ParsesOrFailsWithInvalidPolicy(string? text)
    {
        AssertParsesOrInvalidPolicy(text ?? "");
    }

    private static void AssertParsesOrInvalidPolicy(string json)
    {
        var error = Record.Exception(() => KeyPolicyDocument.Parse(json));
        Assert.True(error is null or KmsException { Code: KmsErrorCodes.InvalidPolicy }, $"input {Escape(json)} threw {error}");
    }

    private static string Escape(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static string Mutate(Random rng, string json)
    {
        var text = new StringBuilder(json);
        for (var n = rng.Next(1, 4); n > 0; n--)
        {
            var at = rng.Next(text.Length + 1);
            switch (rng.Next(8))
            {
                case 0 when text.Length > 0:
                    text.Remove(Math.Min(at, text.Length - 1), 1);
                    break;
                case 1:
                    text.Insert(at, "{}[]\",:0ntf\\ -"[rng.Next(14)]);
                    break;
                case 2:
                    text.Length = Math.Min(at, text.Length);
                    break;
                case 3:
                    // A JSON escape that is not valid UTF-16 (a lone surrogate), inside a string or a name.
                    var quote = json.IndexOf('"', Math.Min(at, json.Length - 1));
                    text.Insert(quote < 0 || quote >= text.Length ? at : quote + 1, rng.Next(2) == 0 ? "\\ud800" : "\\udfff");
                    break;
                case 4:
                    text.Insert(at, new string('[', rng.Next(10, 40)));
                    break;
                case 5:
                    text.Replace("\"Allow\"", rng.Next(2) == 0 ? "true" : "[\"Allow\"]").Replace("\"2026-11-30\"", "20261130");
                    break;
                case 6:
                    text.Replace("\"kms:", "\"kms:x");
                    break;
                default:
                    text.Insert(at, (char)rng.Next(0, 0xFFFF));
                    break;
            }
        }

        return text.ToString();
    }

    private static KeyPolicy RandomPolicy(Random rng)
    {
        var statements = new List<PolicyStatement>();
        for (var i = rng.Next(1, 6); i > 0; i--)
        {
            statements.Add(new PolicyStatement(
                Sid: rng.Next(3) == 0 ? null : $"S{statements.Count}_{rng.Next(1000)}",
                Effect: rng.Next(2) == 0 ? PolicyEffect.Allow : PolicyEffect.Deny,
                Principals: Many(rng, 1, 5, () => RandomText(rng, rng.Next(1, 30))),
                Actions: Many(rng, 1, 6, () => Actions[rng.Next(Actions.Length)]),
                Conditions: rng.Next(2) == 0 ? null : RandomConditions(rng)));
        }

        return new KeyPolicy(KeyPolicy.CurrentVersion, statements);
    }

    private static PolicyConditions RandomConditions(Random rng)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(rng.NextInt64(0, TimeSpan.TicksPerDay * 3650));
        var conditions = new PolicyConditions(
            ContextKeyEquals: rng.Next(2) == 0 ? null : Many(rng, 1, 4, () => RandomText(rng, rng.Next(1, 10))).Distinct(StringComparer.Ordinal)
                .ToDictionary(k => k, _ => RandomText(rng, rng.Next(0, 20)), StringComparer.Ordinal),
            ContextKeyPresent: rng.Next(2) == 0 ? null : Many(rng, 1, 4, () => RandomText(rng, rng.Next(1, 10))),
            SourceAddressInCidr: rng.Next(2) == 0 ? null : Many(rng, 1, 3, () => Networks[rng.Next(Networks.Length)]),
            NotBefore: rng.Next(2) == 0 ? null : start,
            NotAfter: rng.Next(2) == 0 ? null : start.AddTicks(rng.NextInt64(1, TimeSpan.TicksPerDay * 365)));
        return conditions is { ContextKeyEquals: null, ContextKeyPresent: null, SourceAddressInCidr: null, NotBefore: null, NotAfter: null }
            ? conditions with { ContextKeyPresent = ["tenant"] }
            : conditions;
    }

    private static string[] Many(Random rng, int min, int max, Func<string> item) =>
        Enumerable.Range(0, rng.Next(min, max + 1)).Select(_ => item()).ToArray();

    private static string RandomText(Random rng, int length)
    {
        var text = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            var codePoint = rng.Next(4) switch
            {
                0 => rng.Next(0x20, 0x7F),
                1 => rng.Next(0xA0, 0xD800),
                2 => rng.Next(0x1F300, 0x1FAFF),
                _ => "\"\\/\n\t"[rng.Next(5)],
            };
            text.Append(char.ConvertFromUtf32(codePoint));
        }

        return text.ToString();
    }
}

/// <summary>The case the mutation property found: a lone surrogate, escaped or raw, made the parser throw InvalidOperationException or ArgumentException (a 500 over HTTP).</summary>
public sealed class KeyPolicyDocumentSurrogateTests
{
    [Theory]
    [InlineData("{\"version\":\"2026-11-30\",\"statements\":[{\"effect\":\"Allow\",\"principals\":[\"\\ud800\"],\"actions\":[\"kms:Encrypt\"]}]}")]
    [InlineData("{\"\\udc00version\":\"2026-11-30\",\"statements\":[]}")]
    [InlineData("{\"version\":\"\\ud800\",\"statements\":[]}")]
    [InlineData("{\"version\":\"2026-11-30\ud800\",\"statements\":[]}")]
    public void Parse_LoneSurrogateEscape_InvalidPolicy(string json)
    {
        var error = Assert.Throws<KmsException>(() => KeyPolicyDocument.Parse(json));

        Assert.Equal(KmsErrorCodes.InvalidPolicy, error.Code);
    }
}
