using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kms.Core.Errors;

namespace Kms.Core.Authorization;

/// <summary>
/// Parses, validates and serialises key policy documents (format in docs/authorization.md). Every error
/// names the JSON path of the offending value, e.g. <c>statements[1].actions[0]: unknown action 'kms:Encrpyt'</c>.
/// </summary>
public static partial class KeyPolicyDocument
{
    public const int MaxDocumentLength = 32 * 1024;
    public const int MaxStatements = 50;
    public const int MaxPrincipals = 100;
    public const int MaxActions = 50;
    public const int MaxNetworks = 20;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true };

    public static KeyPolicy Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.Length > MaxDocumentLength)
        {
            throw Invalid("$", $"the document is larger than {MaxDocumentLength} characters");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, position {(e.BytePositionInLine ?? 0) + 1})" : "";
            throw KmsErrors.InvalidPolicy($"The policy is not valid JSON{where}.");
        }
        catch (ArgumentException)
        {
            // A lone surrogate in the text has no UTF-8 form, so the reader cannot even start.
            throw KmsErrors.InvalidPolicy("The policy is not valid Unicode text (a lone surrogate).");
        }

        using (document)
        {
            try
            {
                return Parse(document);
            }
            catch (InvalidOperationException)
            {
                // JsonDocument accepts a "\ud800" escape (a lone surrogate) but cannot turn it into a string: bad input, not a fault.
                throw KmsErrors.InvalidPolicy("The policy has a string or field name that is not valid Unicode (a lone surrogate escape).");
            }
        }
    }

    private static KeyPolicy Parse(JsonDocument document)
    {
        var root = Object(document.RootElement, "$", "version", "statements");
        var version = String(Required(root, "version", "$"), "version");
        if (version != KeyPolicy.CurrentVersion)
        {
            throw Invalid("version", $"must be \"{KeyPolicy.CurrentVersion}\"");
        }

        var statements = Array(Required(root, "statements", "$"), "statements", 1, MaxStatements);
        var parsed = statements.Select((s, i) => Statement(s, $"statements[{i}]")).ToArray();
        var duplicate = parsed.Where(s => s.Sid is not null).GroupBy(s => s.Sid, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw Invalid("statements", $"sid '{duplicate.Key}' is used more than once");
        }

        return new KeyPolicy(version, parsed);
    }

    /// <summary>The canonical form: indented camelCase JSON with empty members omitted.</summary>
    public static string Serialize(KeyPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("version", policy.Version);
            writer.WriteStartArray("statements");
            foreach (var statement in policy.Statements)
            {
                WriteStatement(writer, statement);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static PolicyStatement Statement(JsonElement element, string path)
    {
        var members = Object(element, path, "sid", "effect", "principals", "actions", "conditions");
        string? sid = null;
        if (members.TryGetValue("sid", out var sidElement))
        {
            sid = String(sidElement, path + ".sid");
            if (!SidPattern().IsMatch(sid))
            {
                throw Invalid(path + ".sid", "must be 1 to 128 letters, digits, '_' or '-'");
            }
        }

        var effect = String(Required(members, "effect", path), path + ".effect") switch
        {
            "Allow" => PolicyEffect.Allow,
            "Deny" => PolicyEffect.Deny,
            var other => throw Invalid(path + ".effect", $"must be \"Allow\" or \"Deny\", not '{Truncate(other)}'"),
        };

        var principals = Array(Required(members, "principals", path), path + ".principals", 1, MaxPrincipals)
            .Select((p, i) =>
            {
                var value = String(p, $"{path}.principals[{i}]");
                return value.Length is > 0 and <= 256 ? value : throw Invalid($"{path}.principals[{i}]", "must be 1 to 256 characters");
            }).ToArray();

        var actions = Array(Required(members, "actions", path), path + ".actions", 1, MaxActions)
            .Select((a, i) =>
            {
                var value = String(a, $"{path}.actions[{i}]");
                return value == KmsActions.Wildcard || KmsActions.All.Contains(value)
                    ? value
                    : throw Invalid($"{path}.actions[{i}]", $"unknown action '{Truncate(value)}'");
            }).ToArray();

        var conditions = members.TryGetValue("conditions", out var c) ? Conditions(c, path + ".conditions") : null;
        return new PolicyStatement(sid, effect, principals, actions, conditions);
    }

    private static PolicyConditions Conditions(JsonElement element, string path)
    {
        var members = Object(element, path, "contextKeyEquals", "contextKeyPresent", "sourceAddressInCidr", "notBefore", "notAfter");
        if (members.Count == 0)
        {
            throw Invalid(path, "must name at least one condition, or be left out");
        }

        Dictionary<string, string>? equals = null;
        if (members.TryGetValue("contextKeyEquals", out var e))
        {
            var pairs = Object(e, path + ".contextKeyEquals");
            if (pairs.Count == 0)
            {
                throw Invalid(path + ".contextKeyEquals", "must not be empty");
            }

            if (pairs.Keys.Any(k => k.Length == 0))
            {
                // An encryption context never has an empty key: such a condition could never hold.
                throw Invalid(path + ".contextKeyEquals", "keys must not be empty");
            }

            equals = pairs.ToDictionary(p => p.Key, p => String(p.Value, $"{path}.contextKeyEquals.{Truncate(p.Key)}"), StringComparer.Ordinal);
        }

        var present = members.TryGetValue("contextKeyPresent", out var p)
            ? Array(p, path + ".contextKeyPresent", 1, 64).Select((k, i) => String(k, $"{path}.contextKeyPresent[{i}]") is { Length: > 0 } key
                ? key
                : throw Invalid($"{path}.contextKeyPresent[{i}]", "must not be empty")).ToArray()
            : null;

        string[]? networks = null;
        if (members.TryGetValue("sourceAddressInCidr", out var n))
        {
            networks = Array(n, path + ".sourceAddressInCidr", 1, MaxNetworks).Select((x, i) =>
            {
                var value = String(x, $"{path}.sourceAddressInCidr[{i}]");
                return IPNetwork.TryParse(value, out _) ? value : throw Invalid($"{path}.sourceAddressInCidr[{i}]", $"'{Truncate(value)}' is not a CIDR network");
            }).ToArray();
        }

        var notBefore = members.TryGetValue("notBefore", out var nb) ? Instant(nb, path + ".notBefore") : (DateTimeOffset?)null;
        var notAfter = members.TryGetValue("notAfter", out var na) ? Instant(na, path + ".notAfter") : (DateTimeOffset?)null;
        if (notBefore is not null && notAfter is not null && notBefore >= notAfter)
        {
            throw Invalid(path + ".notAfter", "must be later than notBefore");
        }

        return new PolicyConditions(equals, present, networks, notBefore, notAfter);
    }

    private static DateTimeOffset Instant(JsonElement element, string path)
    {
        var text = String(element, path);
        return InstantPattern().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var instant)
            ? instant
            : throw Invalid(path, "must be an ISO-8601 instant with an offset, e.g. 2027-01-01T00:00:00Z");
    }

    /// <summary>The members of an object, refusing any name not in <paramref name="allowed"/> (none given: any name).</summary>
    private static Dictionary<string, JsonElement> Object(JsonElement element, string path, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "must be an object");
        }

        var members = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (allowed.Length > 0 && !allowed.Contains(property.Name, StringComparer.Ordinal))
            {
                throw Invalid(path == "$" ? Truncate(property.Name) : $"{path}.{Truncate(property.Name)}", "is not a known field");
            }

            if (!members.TryAdd(property.Name, property.Value))
            {
                throw Invalid(path == "$" ? Truncate(property.Name) : $"{path}.{Truncate(property.Name)}", "appears more than once");
            }
        }

        return members;
    }

    private static JsonElement Required(Dictionary<string, JsonElement> members, string name, string path) =>
        members.TryGetValue(name, out var value) ? value : throw Invalid(path == "$" ? name : $"{path}.{name}", "is required");

    private static List<JsonElement> Array(JsonElement element, string path, int min, int max)
    {
        if (element.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(path, "must be an array");
        }

        var items = element.EnumerateArray().ToList();
        return items.Count >= min && items.Count <= max ? items : throw Invalid(path, $"must have {min} to {max} entries");
    }

    private static string String(JsonElement element, string path) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw Invalid(path, "must be a string");

    private static void WriteStatement(Utf8JsonWriter writer, PolicyStatement statement)
    {
        writer.WriteStartObject();
        if (statement.Sid is not null)
        {
            writer.WriteString("sid", statement.Sid);
        }

        writer.WriteString("effect", statement.Effect.ToString());
        WriteStrings(writer, "principals", statement.Principals);
        WriteStrings(writer, "actions", statement.Actions);
        if (statement.Conditions is { } c)
        {
            writer.WriteStartObject("conditions");
            if (c.ContextKeyEquals is not null)
            {
                writer.WriteStartObject("contextKeyEquals");
                foreach (var (key, value) in c.ContextKeyEquals.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WriteString(key, value);
                }

                writer.WriteEndObject();
            }

            if (c.ContextKeyPresent is not null)
            {
                WriteStrings(writer, "contextKeyPresent", c.ContextKeyPresent);
            }

            if (c.SourceAddressInCidr is not null)
            {
                WriteStrings(writer, "sourceAddressInCidr", c.SourceAddressInCidr);
            }

            if (c.NotBefore is { } notBefore)
            {
                writer.WriteString("notBefore", notBefore.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
            }

            if (c.NotAfter is { } notAfter)
            {
                writer.WriteString("notAfter", notAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture));
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static KmsException Invalid(string path, string problem) => KmsErrors.InvalidPolicy($"{path}: {problem}.");

    // Caller input is echoed only as a short prefix.
    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    [GeneratedRegex("^[A-Za-z0-9_-]{1,128}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SidPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?(Z|[+-]\d{2}:\d{2})\z", RegexOptions.CultureInvariant)]
    private static partial Regex InstantPattern();
}
