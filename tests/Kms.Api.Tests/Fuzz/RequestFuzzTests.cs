using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Kms.Api.Tests.Fuzz;

/// <summary>
/// Sends generated and mutated requests to every route of <see cref="KmsRoutes.All"/> on the real host (SoftHSM2 and
/// Azurite): none may end in a 5xx or a dropped connection, every refusal is a ProblemDetails with a stable code and
/// nothing internal, the host is healthy afterwards, and the keys made before the run are as they were and still work.
/// The seed is printed; KMS_FUZZ_SEED replays a run and KMS_FUZZ_REQUESTS changes its size.
/// </summary>
[Collection(FuzzHostCollection.Name)]
public sealed class RequestFuzzTests(KmsHostFixture host, ITestOutputHelper output)
{
    private const int DefaultSeed = 20261201;
    private const int DefaultRequests = 10_000;
    private const int Concurrency = 8;

    private static readonly HashSet<string> StableCodes = typeof(KmsErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public async Task EveryRoute_GeneratedAndMutatedRequests_No5xx_ProblemDetailsWithStableCodes_NothingStoredLost()
    {
        var seed = EnvInt("KMS_FUZZ_SEED", DefaultSeed);
        var requests = EnvInt("KMS_FUZZ_REQUESTS", DefaultRequests);
        output.WriteLine($"fuzz seed {seed} (KMS_FUZZ_SEED), {requests} requests (KMS_FUZZ_REQUESTS), concurrency {Concurrency}");

        // Arrange: the keys that must come through untouched, and the throw-away targets of the run.
        var sentinels = await CreateSentinelsAsync();
        var before = await SnapshotAsync(sentinels.KeyIds);
        var targets = await CreateTargetsAsync(sentinels.Ciphertexts.Select(c => Convert.FromBase64String(c.Ciphertext)));
        var maxBody = host.Services!.GetRequiredService<IOptions<Kms.Core.KmsOptions>>().Value.MaxRequestBodyBytes;
        var factory = new FuzzRequestFactory(targets, maxBody);
        var routes = KmsRoutes.All;

        // Act
        var failures = new ConcurrentQueue<string>();
        var outcomes = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var perRoute = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        using var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(100) };
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, requests), new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, ct) =>
        {
            var route = routes[i % routes.Count];
            var request = factory.Create(route, seed, i);
            perRoute.AddOrUpdate(route.Name, 1, (_, n) => n + 1);
            var outcome = await SendAndCheckAsync(client, request, ct);
            outcomes.AddOrUpdate(outcome.Label, 1, (_, n) => n + 1);
            if (outcome.Failure is { } failure)
            {
                failures.Enqueue($"#{i} {failure}\n    request: {request}");
            }
        });
        clock.Stop();
        output.WriteLine($"{requests} requests over {routes.Count} routes in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (label, count) in outcomes.OrderByDescending(o => o.Value))
        {
            output.WriteLine($"  {count,6}  {label}");
        }

        // Assert: the run itself.
        Assert.True(failures.IsEmpty,
            $"seed {seed}: {failures.Count} of {requests} requests broke the contract; first ones:\n{string.Join("\n", failures.Take(15))}");
        Assert.All(routes, r => Assert.True(perRoute.GetValueOrDefault(r.Name) >= requests / routes.Count, $"{r.Name} got too few requests"));

        // Assert: the host is up and healthy, and nothing stored was lost or corrupted.
        using (var health = await client.GetAsync("/api/health"))
        {
            Assert.Equal(200, (int)health.StatusCode);
        }

        Assert.Equal(before, await SnapshotAsync(sentinels.KeyIds));
        await AssertSentinelsStillWorkAsync(sentinels);
    }

    private static async Task<(string Label, string? Failure)> SendAndCheckAsync(HttpClient client, FuzzRequest request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var message = request.ToMessage();
            response = await client.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            return ("connection failure", $"the connection failed: {e.Message}");
        }
        catch (TaskCanceledException)
        {
            return ("timeout", "no answer within the client timeout");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var body = await response.Content.ReadAsStringAsync(ct);
            if (body.Contains("CKR_", StringComparison.Ordinal) || body.Contains("   at ", StringComparison.Ordinal))
            {
                return ($"{status} leaking", $"{status} with internal text in the body: {Clip(body)}");
            }

            if (status >= 500)
            {
                return ($"{status} (5xx)", $"{status}: {Clip(body)}");
            }

            if (status is >= 200 and < 300)
            {
                return ($"{status} {request.Route}", null);
            }

            if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                return ($"{status} not problem+json", $"{status} with content type '{response.Content.Headers.ContentType}': {Clip(body)}");
            }

            JsonElement problem;
            try
            {
                problem = JsonSerializer.Deserialize<JsonElement>(body);
            }
            catch (JsonException)
            {
                return ($"{status} unreadable problem", $"{status} problem+json that is not JSON: {Clip(body)}");
            }

            var code = problem.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
            if (!StableCodes.Contains(code))
            {
                return ($"{status} unknown code '{code}'", $"{status} with code '{code}', not one of KmsErrorCodes: {Clip(body)}");
            }

            if (!problem.TryGetProperty("status", out var s) || s.ValueKind != JsonValueKind.Number || s.GetInt32() != status)
            {
                return ($"{status} status mismatch", $"{status} whose problem names another status: {Clip(body)}");
            }

            if (body.Contains("Exception", StringComparison.Ordinal))
            {
                return ($"{status} names an exception", $"{status} naming an exception type: {Clip(body)}");
            }

            return ($"{status} {code}", null);
        }
    }

    private async Task<FuzzTargets> CreateTargetsAsync(IEnumerable<byte[]> sentinelCiphertexts)
    {
        var aes = await host.CreateKeyAsync("AES_256", "fz-aes-" + Guid.NewGuid().ToString("N")[..8]);
        var rotated = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{rotated}/rotate", new { });
        var ec = await host.CreateKeyAsync("EC_P256", "fz-ec-" + Guid.NewGuid().ToString("N")[..8]);
        var hmac = await host.CreateKeyAsync("HMAC_SHA256", "fz-mac-" + Guid.NewGuid().ToString("N")[..8]);

        var ciphertexts = new List<byte[]>(sentinelCiphertexts);
        foreach (var keyId in new[] { aes, rotated })
        {
            var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt",
                new { plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)), context = new Dictionary<string, string> { ["t"] = "fuzz" } });
            ciphertexts.Add(Convert.FromBase64String(encrypted.GetProperty("ciphertext").GetString()!));
        }

        var now = DateTimeOffset.UtcNow;
        string[] admin = [KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator];
        var issuer = host.Issuer;
        using var forgedKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var tokens = new FuzzTokens(
            Admin: issuer.Mint("fuzz-admin", admin, KmsAuthOptions.DefaultAudience, now, TimeSpan.FromMinutes(30)),
            CryptoOnly: issuer.Mint("fuzz-crypto", [KmsRoles.Crypto], KmsAuthOptions.DefaultAudience, now, TimeSpan.FromMinutes(30)),
            Expired: issuer.Mint("fuzz-admin", admin, KmsAuthOptions.DefaultAudience, now.AddHours(-3), TimeSpan.FromMinutes(30)),
            NotYetValid: issuer.Mint("fuzz-admin", admin, KmsAuthOptions.DefaultAudience, now, TimeSpan.FromHours(3), notBefore: now.AddHours(2)),
            Forged: issuer.Mint("fuzz-admin", admin, KmsAuthOptions.DefaultAudience, now, TimeSpan.FromMinutes(30),
                signWith: new Microsoft.IdentityModel.Tokens.ECDsaSecurityKey(forgedKey) { KeyId = ((Microsoft.IdentityModel.Tokens.ECDsaSecurityKey)issuer.SigningKey).KeyId }),
            WrongAudience: issuer.Mint("fuzz-admin", admin, "api://not-kms", now, TimeSpan.FromMinutes(30)),
            WrongIssuer: DevTokenIssuerWithOtherName(now, admin));

        return new FuzzTargets([aes, rotated, ec, hmac], ["fz-aes-none", "fz-" + Guid.NewGuid().ToString("N")[..6]], ciphertexts, tokens);
    }

    private string DevTokenIssuerWithOtherName(DateTimeOffset now, string[] roles)
    {
        // Same signing key, another issuer name: the issuer check, not the signature, must refuse it.
        var file = Path.Combine(Path.GetTempPath(), "kms-fuzz-" + Guid.NewGuid().ToString("N") + ".pem");
        try
        {
            DevTokenIssuer.EnsureKeyFile(file);
            return DevTokenIssuer.Load(file, "someone-else").Mint("fuzz-admin", roles, KmsAuthOptions.DefaultAudience, now, TimeSpan.FromMinutes(30));
        }
        finally
        {
            File.Delete(file);
        }
    }

    // ---- the keys that must survive ----

    private sealed record SentinelCiphertext(string Ciphertext, Dictionary<string, string> Context, string Plaintext);

    private sealed record Sentinels(string AesKey, string EcKey, string HmacKey, IReadOnlyList<SentinelCiphertext> Ciphertexts,
        string Message, string Signature, string Mac)
    {
        public string[] KeyIds => [AesKey, EcKey, HmacKey];
    }

    private async Task<Sentinels> CreateSentinelsAsync()
    {
        var aes = await host.CreateKeyAsync("AES_256", "fz-sentinel-" + Guid.NewGuid().ToString("N")[..8]);
        await host.PostOkAsync($"/api/keys/{aes}/rotate", new { });
        var ec = await host.CreateKeyAsync("EC_P256");
        var hmac = await host.CreateKeyAsync("HMAC_SHA256");

        var ciphertexts = new List<SentinelCiphertext>();
        for (var i = 0; i < 3; i++)
        {
            var plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32 + i));
            var context = new Dictionary<string, string> { ["tenant"] = "t" + i, ["purpose"] = "sentinel" };
            var encrypted = await host.PostOkAsync($"/api/keys/{aes}/encrypt", new { plaintext, context });
            ciphertexts.Add(new SentinelCiphertext(encrypted.GetProperty("ciphertext").GetString()!, context, plaintext));
        }

        var message = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var signature = (await host.PostOkAsync($"/api/keys/{ec}/sign", new { algorithm = "ECDSA_SHA_256", message })).GetProperty("signature").GetString()!;
        var mac = (await host.PostOkAsync($"/api/keys/{hmac}/mac", new { message })).GetProperty("mac").GetString()!;
        return new Sentinels(aes, ec, hmac, ciphertexts, message, signature, mac);
    }

    /// <summary>The keys' and versions' descriptions as the API gives them (state, versions, primary, timestamps).</summary>
    private async Task<string> SnapshotAsync(IEnumerable<string> keyIds)
    {
        var parts = new List<string>();
        foreach (var keyId in keyIds)
        {
            parts.Add(await host.Client.GetStringAsync($"/api/keys/{keyId}"));
            parts.Add(await host.Client.GetStringAsync($"/api/keys/{keyId}/versions"));
        }

        return string.Join("\n", parts);
    }

    private async Task AssertSentinelsStillWorkAsync(Sentinels sentinels)
    {
        foreach (var stored in sentinels.Ciphertexts)
        {
            var decrypted = await host.PostOkAsync("/api/decrypt", new { ciphertext = stored.Ciphertext, context = stored.Context });
            Assert.Equal(stored.Plaintext, decrypted.GetProperty("plaintext").GetString());
        }

        var verified = await host.PostOkAsync($"/api/keys/{sentinels.EcKey}/verify",
            new { algorithm = "ECDSA_SHA_256", message = sentinels.Message, signature = sentinels.Signature });
        Assert.True(verified.GetProperty("valid").GetBoolean());
        var macVerified = await host.PostOkAsync($"/api/keys/{sentinels.HmacKey}/verify-mac", new { message = sentinels.Message, mac = sentinels.Mac });
        Assert.True(macVerified.GetProperty("valid").GetBoolean());
    }

    private static string Clip(string body) => body.Length > 400 ? body[..400] + "..." : body;

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
