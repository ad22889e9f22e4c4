using System.Buffers.Binary;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kms.Api.Tests.Fuzz;

/// <summary>One generated request, described well enough to replay it by hand from a failure message.</summary>
internal sealed record FuzzRequest(string Route, HttpMethod Method, string Path, string? ContentType, byte[]? Body, string? Authorization,
    string Mutation)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(Method, Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.ContentType = null;
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        if (Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "(none)" : Body.Length > 300 ? Encoding.UTF8.GetString(Body, 0, 300) + $"... ({Body.Length} bytes)" : Encoding.UTF8.GetString(Body);
        var auth = Authorization is null ? "(none)" : Authorization.Length > 60 ? Authorization[..60] + "..." : Authorization;
        return $"{Route} [{Mutation}] {Method} {(Path.Length > 200 ? Path[..200] + "..." : Path)} content-type={ContentType ?? "(none)"} auth={auth} body={body}";
    }
}

/// <summary>
/// Builds request number <c>i</c> of a run from <c>seed</c> alone (its own <see cref="Random"/>), so a failure replays
/// with the same seed whatever order the concurrent requests ran in. Bodies start from a plausible request built from the
/// route's request type by reflection (so a new route or field is fuzzed without touching this file) and are then mutated.
/// </summary>
internal sealed class FuzzRequestFactory(FuzzTargets targets, long maxBodyBytes)
{
    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-16",
        "application/merge-patch+json", "*/*", ";;;", "application/json; charset=\"", "json", "application/jsonx", "text/json ",
    ];

    private static readonly string[] BadBase64 =
    [
        "@@not-base64@@", "abc", "YQ", "====", "a===", "-_-_", "YWJj ZA==\n", "\u00e9\u00e9\u00e9\u00e9", "AAAA\u0000", "%41%41", "A", "YWJjZA=x", "\t",
    ];

    private static readonly string[] Words = ["a", "x", "null", "true", "0", "-1", "kms", "\u00e9t\u00e9", "\u2713", "\ud83d\udd11", "a b", "a/b", "..", "%2F", "'", "\"", "\\", "<script>"];

    private static readonly string[] QueryNames = ["pageSize", "continuationToken", "keyId", "principal", "operation", "result", "from", "to", "type", "state", "x"];

    private static readonly string[] QueryValues =
    [
        "-1", "0", "1", "abc", "1099511627776", "99999999999999999999", "", "%00", "2026-13-45", "2026-12-01T00:00:00Z", "not-a-token", "eyJ9",
        "%7B%7D", "COMPLETED", "Encrypt", "true", new string('z', 3000),
    ];

    // Deep-nesting mutations go far past the writer's default depth of 64 (the API's reader stops at 16).
    private static readonly JsonSerializerOptions DeepWriter = new() { MaxDepth = 10_000 };

    private readonly FuzzTargets _targets = targets;
    private readonly long _maxBodyBytes = maxBodyBytes;

    public FuzzRequest Create(KmsRoute route, int seed, int index)
    {
        var rng = new Random(unchecked(seed * 1_000_003 + index));
        var mutations = new List<string>();

        var method = new HttpMethod(route.Method);
        if (rng.Next(100) < 4)
        {
            method = new HttpMethod(Pick(rng, ["GET", "POST", "PUT", "DELETE", "PATCH"]));
            mutations.Add("method");
        }

        var path = BuildPath(rng, route, mutations);
        var authorization = BuildAuthorization(rng, mutations);

        byte[]? body = null;
        string? contentType = null;
        if (route.RequestType is { } requestType && !(route.BodyOptional && rng.Next(100) < 15))
        {
            contentType = rng.Next(100) < 85 ? "application/json" : PickContentType(rng, mutations);
            body = BuildBody(rng, requestType, mutations);
        }
        else if (route.RequestType is null && rng.Next(100) < 10)
        {
            contentType = rng.Next(2) == 0 ? "application/json" : PickContentType(rng, mutations);
            body = Encoding.UTF8.GetBytes(RandomJson(rng, 3)?.ToJsonString() ?? "null");
            mutations.Add("unexpected-body");
        }

        return new FuzzRequest(route.Name, method, path, contentType, body, authorization, mutations.Count == 0 ? "none" : string.Join(",", mutations));
    }

    private static string? PickContentType(Random rng, List<string> mutations)
    {
        mutations.Add("content-type");
        return rng.Next(8) == 0 ? null : Pick(rng, ContentTypes);
    }

    private string BuildPath(Random rng, KmsRoute route, List<string> mutations)
    {
        var path = new StringBuilder("/api/");
        var template = route.Template;
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0)
            {
                path.Append(template, i, template.Length - i);
                break;
            }

            path.Append(template, i, open - i);
            var close = template.IndexOf('}', open);
            var name = template[(open + 1)..close];
            path.Append(RouteValue(rng, name, mutations));
            i = close + 1;
        }

        if (rng.Next(100) < 25)
        {
            mutations.Add("query");
            var pairs = Enumerable.Range(0, rng.Next(1, 4)).Select(_ => $"{Pick(rng, QueryNames)}={Uri.EscapeDataString(Pick(rng, QueryValues))}");
            path.Append('?').Append(string.Join('&', pairs));
        }

        return path.ToString();
    }

    private string RouteValue(Random rng, string name, List<string> mutations)
    {
        var good = name switch
        {
            "keyId" => Pick(rng, _targets.KeyIds),
            "keyIdOrAlias" => rng.Next(3) == 0 ? Pick(rng, _targets.Aliases) : Pick(rng, _targets.KeyIds),
            "alias" => Pick(rng, _targets.Aliases),
            "version" => Pick(rng, ["1", "2"]),
            _ => RandomGuid(rng).ToString(),
        };
        if (rng.Next(100) < 55)
        {
            return Uri.EscapeDataString(good);
        }

        mutations.Add("route:" + name);
        string[] bad = name == "version"
            ? ["-1", "0", "1099511627776", "abc", "2147483648", "2147483647", "1.5", "+1", " 1", "1e3", "99999", "\u0663", "0x1", "", "01"]
            :
            [
                RandomGuid(rng).ToString(), RandomGuid(rng).ToString("N"), RandomGuid(rng).ToString("B"), "00000000-0000-0000-0000-000000000000",
                "abc", "-1", "0", "1099511627776", new string('a', rng.Next(200, 4000)), "%00", "..", "\u00e9\u2713\ud83d\udd11", " ", "null",
                "alias/x", "a%2Fb", "'; DROP TABLE keys;--", "PartitionKey eq 'x'", good.ToUpperInvariant(), good + "x", "",
            ];
        var value = Pick(rng, bad);
        return rng.Next(4) == 0 ? value.Replace("%", "%25", StringComparison.Ordinal) : Uri.EscapeDataString(value);
    }

    private string? BuildAuthorization(Random rng, List<string> mutations)
    {
        var tokens = _targets.Tokens;
        var roll = rng.Next(100);
        if (roll < 62)
        {
            return "Bearer " + tokens.Admin;
        }

        if (roll < 67)
        {
            return "Bearer " + tokens.CryptoOnly;
        }

        mutations.Add("token");
        var parts = tokens.Admin.Split('.');
        var choice = rng.Next(18);
        return choice switch
        {
            0 => null,
            1 => "Bearer ",
            2 => "Bearer " + RandomBase64Url(rng, rng.Next(1, 200)),
            3 => "Basic dXNlcjpwYXNz",
            4 => "Bearer " + tokens.Expired,
            5 => "Bearer " + tokens.NotYetValid,
            6 => "Bearer " + tokens.Forged,
            7 => "Bearer " + tokens.WrongAudience,
            8 => "Bearer " + tokens.WrongIssuer,
            // alg=none with the real claims and no signature.
            9 => "Bearer " + B64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + parts[1] + ".",
            10 => "Bearer " + parts[0] + "." + parts[1], // unsigned: two segments
            11 => "Bearer " + parts[0] + "." + parts[1] + ".", // signature stripped
            12 => "Bearer " + parts[0] + "." + parts[1] + "." + FlipOneChar(rng, parts[2]),
            // The payload changed (another principal) under the original signature.
            13 => "Bearer " + parts[0] + "." + B64Url("{\"sub\":\"mallory\",\"roles\":[\"kms.admin\"],\"iss\":\"kms-dev-issuer\",\"aud\":\"api://kms\",\"exp\":4102444800}") + "." + parts[2],
            14 => "Bearer " + string.Join('.', Enumerable.Range(0, 5).Select(_ => RandomBase64Url(rng, rng.Next(1, 40)))),
            15 => "Bearer " + B64Url("{\"alg\":\"HS256\"}") + "." + parts[1] + "." + RandomBase64Url(rng, 43),
            16 => "Bearer " + new string('A', rng.Next(1000, 6000)),
            _ => "bearer " + tokens.Admin.ToUpperInvariant(),
        };
    }

    private byte[] BuildBody(Random rng, Type requestType, List<string> mutations)
    {
        JsonNode? node = SeedObject(rng, requestType, depth: 0);
        var count = rng.Next(100) < 20 ? 0 : rng.Next(1, 4);
        for (var m = 0; m < count; m++)
        {
            node = Mutate(rng, node, mutations);
        }

        var text = node is null ? "null" : node.ToJsonString(DeepWriter);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (rng.Next(100) < 12)
        {
            bytes = MutateRaw(rng, bytes, mutations);
        }

        return bytes.Length > _maxBodyBytes ? bytes[..(int)_maxBodyBytes] : bytes;
    }

    // ---- plausible bodies from the request types ----

    private JsonObject SeedObject(Random rng, Type type, int depth)
    {
        var result = new JsonObject();
        var parameters = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First().GetParameters();
        foreach (var parameter in parameters)
        {
            if (parameter.HasDefaultValue && rng.Next(100) < 50)
            {
                continue;
            }

            // A batch and a single request at once is a (tested) validation error; keep most seeds one or the other.
            if (parameter.Name == "Items" && rng.Next(100) < 70)
            {
                continue;
            }

            result[JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!)] = SeedValue(rng, parameter.Name!, parameter.ParameterType, depth);
        }

        return result;
    }

    private JsonNode? SeedValue(Random rng, string name, Type type, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying == typeof(string))
        {
            return SeedString(rng, name);
        }

        if (underlying == typeof(int) || underlying == typeof(long))
        {
            return name switch
            {
                "Bytes" => rng.Next(1, 1025),
                "RotationPeriodDays" => rng.Next(1, 3651),
                "WaitingDays" => rng.Next(7, 31),
                _ => rng.Next(1, 3),
            };
        }

        if (underlying == typeof(bool))
        {
            return rng.Next(2) == 0;
        }

        if (underlying.IsGenericType && underlying.GetGenericArguments() is [var k, var v] && k == typeof(string) && v == typeof(string))
        {
            var map = new JsonObject();
            for (var i = rng.Next(0, 4); i > 0; i--)
            {
                map["k" + rng.Next(10)] = RandomText(rng, rng.Next(0, 20));
            }

            return map;
        }

        var element = underlying.IsArray ? underlying.GetElementType() : underlying.IsGenericType ? underlying.GetGenericArguments()[0] : null;
        if (element is not null && typeof(System.Collections.IEnumerable).IsAssignableFrom(underlying))
        {
            var array = new JsonArray();
            if (depth < 3)
            {
                for (var i = rng.Next(1, 4); i > 0; i--)
                {
                    array.Add(SeedValue(rng, name.TrimEnd('s'), element, depth + 1));
                }
            }

            return array;
        }

        if (underlying.IsClass && depth < 3)
        {
            return SeedObject(rng, underlying, depth + 1);
        }

        return null;
    }

    private JsonNode SeedString(Random rng, string name) => name switch
    {
        "Plaintext" or "Message" => Convert.ToBase64String(RandomBytes(rng, rng.Next(0, 100))),
        "Digest" => Convert.ToBase64String(RandomBytes(rng, 32)),
        "Signature" => Convert.ToBase64String(RandomBytes(rng, 64)),
        "Mac" => Convert.ToBase64String(RandomBytes(rng, 32)),
        "Ciphertext" => Convert.ToBase64String(Pick(rng, _targets.Ciphertexts)),
        "KeyId" or "DestinationKeyId" or "Scope" => rng.Next(4) == 0 ? Pick(rng, _targets.Aliases) : Pick(rng, _targets.KeyIds),
        "KeySpec" => Pick(rng, ["AES_256", "AES_128", "EC_P256", "HMAC_SHA256", "SYMMETRIC_DEFAULT", "bogus"]),
        "KeyUsage" => Pick(rng, ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "bogus"]),
        "Alias" => "fz-" + rng.Next(1_000_000),
        "Algorithm" => Pick(rng, ["ECDSA_SHA_256", "ECDSA_SHA_384", "RSASSA_PSS_SHA_256", "RSASSA_PKCS1_V1_5_SHA_256", "bogus"]),
        "Principal" or "Principals" => Pick(rng, ["svc-fuzz", "*", "", "test-admin"]),
        "Role" or "Roles" => Pick(rng, ["kms.admin", "kms.crypto", "kms.operator", "kms.approver", "kms.auditor", "bogus"]),
        "Action" or "Actions" => Pick(rng, ["kms:Encrypt", "kms:Decrypt", "kms:*", "bogus"]),
        "Version" => "2026-11-30",
        "Effect" => Pick(rng, ["Allow", "Deny", "allow"]),
        "CallerAddress" or "SourceAddressInCidr" => Pick(rng, ["10.0.0.1", "10.0.0.0/8", "fd00::/8", "999.1.1.1", "bogus"]),
        "Type" => Pick(rng, ["table", "blob", "bogus"]),
        "Connection" => Pick(rng, ["default", "bogus"]),
        "NotBefore" or "NotAfter" => Pick(rng, ["2026-12-01T00:00:00Z", "yesterday", "9999-12-31T23:59:59Z"]),
        "Filter" => Pick(rng, ["PartitionKey eq 'x'", "((((", "RowKey gt ''"]),
        _ => RandomText(rng, rng.Next(1, 24)),
    };

    // ---- mutations ----

    private JsonNode? Mutate(Random rng, JsonNode? node, List<string> mutations)
    {
        if (node is not JsonObject root || rng.Next(100) < 4)
        {
            mutations.Add("top-level");
            return rng.Next(6) switch
            {
                0 => new JsonArray(node?.DeepClone()),
                1 => JsonValue.Create(rng.Next()),
                2 => JsonValue.Create("{}"),
                3 => null,
                4 => new JsonObject(),
                _ => Nest(rng.Next(17, 3000), new JsonObject()),
            };
        }

        var (parent, key) = PickField(rng, root);
        if (key is null)
        {
            root["extra" + rng.Next(10)] = RandomJson(rng, 2);
            mutations.Add("extra-field");
            return root;
        }

        var current = parent[key];
        switch (rng.Next(13))
        {
            case 0:
                parent[key] = WrongType(rng, current);
                mutations.Add("wrong-type:" + key);
                break;
            case 1:
                parent.Remove(key);
                mutations.Add("missing:" + key);
                break;
            case 2:
                parent[key + (rng.Next(2) == 0 ? "X" : "")] = RandomJson(rng, 2);
                parent[RandomText(rng, 6)] = RandomJson(rng, 1);
                mutations.Add("extra-field");
                break;
            case 3:
                parent[key] = null;
                mutations.Add("null:" + key);
                break;
            case 4:
                parent[key] = Pick<JsonNode?>(rng, [JsonValue.Create(""), new JsonObject(), new JsonArray(), JsonValue.Create(0)]);
                mutations.Add("empty:" + key);
                break;
            case 5:
                var size = rng.Next(100) < 5 ? rng.Next(1 << 20, 3 << 20) : rng.Next(1 << 10, 128 << 10);
                parent[key] = rng.Next(2) == 0 ? new string('A', size) : Convert.ToBase64String(RandomBytes(rng, size * 3 / 4));
                mutations.Add($"huge-string:{key}:{size}");
                break;
            case 6:
                parent[key] = Pick(rng, BadBase64);
                mutations.Add("bad-base64:" + key);
                break;
            case 7:
                parent[key] = Convert.ToBase64String(MutateCiphertext(rng, Pick(rng, _targets.Ciphertexts), mutations));
                break;
            case 8:
                parent[key] = MutatedContext(rng, mutations);
                break;
            case 9:
                parent[key] = Nest(rng.Next(10, 1000), RandomJson(rng, 0));
                mutations.Add("deep-nesting:" + key);
                break;
            case 10:
                parent[key] = JsonNode.Parse(Pick(rng, ["1e400", "-1", "0", "1.5", "9223372036854775808", "1099511627776", "2147483648", "-0", "1E3", "\"1\""]));
                mutations.Add("number:" + key);
                break;
            case 11:
                var items = new JsonArray();
                var n = rng.Next(10) == 0 ? rng.Next(995, 1010) : rng.Next(0, 5);
                for (var i = 0; i < n; i++)
                {
                    items.Add(rng.Next(3) == 0 ? RandomJson(rng, 1) : new JsonObject
                    {
                        ["ciphertext"] = Convert.ToBase64String(MutateCiphertext(rng, Pick(rng, _targets.Ciphertexts), [])),
                        ["plaintext"] = Convert.ToBase64String(RandomBytes(rng, rng.Next(0, 40))),
                        // Heavy context mutations only in small batches, so one body stays a few MiB at most.
                        ["context"] = n < 10 ? MutatedContext(rng, []) : new JsonObject { ["k"] = "v" + i },
                    });
                }

                root["items"] = items;
                mutations.Add($"items:{n}");
                break;
            default:
                parent[key] = Convert.ToBase64String(Pick(rng, _targets.Ciphertexts));
                mutations.Add("real-ciphertext:" + key);
                break;
        }

        return root;
    }

    private static (JsonObject Parent, string? Key) PickField(Random rng, JsonObject root)
    {
        var parent = root;
        // Sometimes go one level into a nested object (policy statements, sources, conditions) or an array of objects.
        var nested = root.Where(p => p.Value is JsonObject or JsonArray).ToList();
        if (nested.Count > 0 && rng.Next(3) == 0)
        {
            var value = nested[rng.Next(nested.Count)].Value;
            var candidate = value is JsonArray { Count: > 0 } array ? array[rng.Next(array.Count)] : value;
            if (candidate is JsonObject { Count: > 0 } obj)
            {
                parent = obj;
            }
        }

        if (parent.Count == 0)
        {
            return (parent, null);
        }

        return (parent, parent.ElementAt(rng.Next(parent.Count)).Key);
    }

    private static JsonNode? WrongType(Random rng, JsonNode? current)
    {
        var kind = current?.GetValueKind();
        while (true)
        {
            JsonNode? candidate = rng.Next(6) switch
            {
                0 => JsonValue.Create(rng.Next(-5, 5)),
                1 => JsonValue.Create(rng.Next(2) == 0),
                2 => new JsonArray(JsonValue.Create("a"), JsonValue.Create(1)),
                3 => new JsonObject { ["a"] = "b" },
                4 => JsonValue.Create("text"),
                _ => JsonValue.Create(1.5),
            };
            if (candidate?.GetValueKind() != kind)
            {
                return candidate;
            }
        }
    }

    private static JsonNode MutatedContext(Random rng, List<string> mutations)
    {
        var map = new JsonObject();
        switch (rng.Next(7))
        {
            case 0:
                var count = rng.Next(65, 2000);
                for (var i = 0; i < count; i++)
                {
                    map["k" + i] = "v" + i;
                }

                mutations.Add($"context-many:{count}");
                break;
            case 1:
                map[""] = "v";
                mutations.Add("context-empty-key");
                break;
            case 2:
                map["k"] = new string('v', rng.Next(8_000, 100_000));
                mutations.Add("context-huge-value");
                break;
            case 3:
                map["k"] = Pick<JsonNode?>(rng, [JsonValue.Create(1), JsonValue.Create(true), new JsonObject(), new JsonArray(), null]);
                mutations.Add("context-non-string");
                break;
            case 4:
                map[new string('k', rng.Next(1000, 20_000))] = "v";
                mutations.Add("context-huge-key");
                break;
            case 5:
                map["\u00e9\ud83d\udd11"] = "\u0000\u001f";
                map["a\u0000b"] = "";
                mutations.Add("context-odd-chars");
                break;
            default:
                map["k"] = "";
                mutations.Add("context-empty-value");
                break;
        }

        return map;
    }

    private static byte[] MutateCiphertext(Random rng, byte[] original, List<string> mutations)
    {
        var blob = (byte[])original.Clone();
        switch (rng.Next(9))
        {
            case 0:
                blob[rng.Next(blob.Length)] ^= (byte)(1 << rng.Next(8));
                mutations.Add("ct-bitflip");
                return blob;
            case 1:
                mutations.Add("ct-truncate");
                return blob[..rng.Next(blob.Length)];
            case 2:
                mutations.Add("ct-extend");
                return [.. blob, .. RandomBytes(rng, rng.Next(1, 64))];
            case 3:
                blob[0] = (byte)rng.Next(256);
                mutations.Add("ct-format-version");
                return blob;
            case 4:
                blob[1] = (byte)rng.Next(256);
                mutations.Add("ct-algorithm");
                return blob;
            case 5:
                BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(18), Pick(rng, [0u, 2u, 0x7FFF_FFFFu, 0x8000_0000u, 0xFFFF_FFFFu, 99u]));
                mutations.Add("ct-key-version");
                return blob;
            case 6:
                RandomGuid(rng).TryWriteBytes(blob.AsSpan(2, 16), bigEndian: true, out _);
                mutations.Add("ct-key-id");
                return blob;
            case 7:
                mutations.Add("ct-random");
                return RandomBytes(rng, rng.Next(0, 200));
            default:
                blob[^1] ^= 0x80;
                mutations.Add("ct-tag");
                return blob;
        }
    }

    private static byte[] MutateRaw(Random rng, byte[] bytes, List<string> mutations)
    {
        mutations.Add("raw");
        switch (rng.Next(10))
        {
            case 0:
                return bytes[..rng.Next(bytes.Length + 1)];
            case 8:
                // A JSON escape that is no valid UTF-16 (a lone surrogate) at the start of a string or a name.
                var quoted = Encoding.UTF8.GetString(bytes);
                var quote = quoted.IndexOf('"', rng.Next(quoted.Length + 1));
                return quote < 0 ? bytes : Encoding.UTF8.GetBytes(quoted.Insert(quote + 1, rng.Next(2) == 0 ? "\\ud800" : "\\udc00x"));
            case 1:
                var at = rng.Next(bytes.Length + 1);
                return [.. bytes[..at], (byte)rng.Next(256), .. bytes[at..]];
            case 2:
                if (bytes.Length > 0)
                {
                    bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
                }

                return bytes;
            case 3:
                return [.. bytes, 0xC3, 0x28, 0xFF, 0xFE];
            case 4:
                return [0xEF, 0xBB, 0xBF, .. bytes];
            case 5:
                return [.. bytes, .. "  {}"u8];
            case 6:
                var text = Encoding.UTF8.GetString(bytes);
                return text.StartsWith('{') && text.Length > 2 ? Encoding.UTF8.GetBytes("{\"plaintext\":\"eA==\"," + text[1..^1] + ",\"plaintext\":\"eA==\"}") : bytes;
            case 7:
                return Encoding.UTF8.GetBytes("/* c */" + Encoding.UTF8.GetString(bytes).Replace("}", ",}", StringComparison.Ordinal));
            default:
                return [];
        }
    }

    private static JsonNode? RandomJson(Random rng, int depth) => (depth <= 0 ? rng.Next(5) : rng.Next(7)) switch
    {
        0 => null,
        1 => JsonValue.Create(rng.Next(-100, 100)),
        2 => JsonValue.Create(RandomText(rng, rng.Next(0, 12))),
        3 => JsonValue.Create(rng.Next(2) == 0),
        4 => JsonValue.Create(rng.NextDouble()),
        5 => new JsonArray(RandomJson(rng, depth - 1), RandomJson(rng, depth - 1)),
        _ => new JsonObject { [RandomText(rng, 4)] = RandomJson(rng, depth - 1) },
    };

    private static JsonNode Nest(int depth, JsonNode? inner)
    {
        var node = inner ?? JsonValue.Create(1);
        for (var i = 0; i < depth; i++)
        {
            node = i % 2 == 0 ? new JsonArray(node) : new JsonObject { ["a"] = node };
        }

        return node!;
    }

    private static string RandomText(Random rng, int length)
    {
        if (rng.Next(10) == 0)
        {
            return Pick(rng, Words);
        }

        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = (char)rng.Next(0x20, 0x7F);
        }

        return new string(chars);
    }

    private static string RandomBase64Url(Random rng, int bytes) => Convert.ToBase64String(RandomBytes(rng, bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string B64Url(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string FlipOneChar(Random rng, string segment)
    {
        var chars = segment.ToCharArray();
        var i = rng.Next(chars.Length);
        chars[i] = chars[i] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    private static byte[] RandomBytes(Random rng, int length)
    {
        var bytes = new byte[length];
        rng.NextBytes(bytes);
        return bytes;
    }

    private static Guid RandomGuid(Random rng) => new(RandomBytes(rng, 16));

    private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];
}
