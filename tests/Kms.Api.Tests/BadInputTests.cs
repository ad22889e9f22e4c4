using System.Net.Http.Json;
using System.Text;

namespace Kms.Api.Tests;

/// <summary>Walks the list of bad inputs: each is a 4xx ProblemDetails with a stable code, never a 500 or a stack trace.</summary>
[Collection(KmsHostCollection.Name)]
public sealed class BadInputTests(KmsHostFixture host)
{
    [Fact]
    public async Task MalformedJson_MalformedRequest()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await PostRawAsync($"/api/keys/{keyId}/encrypt", "{\"plaintext\": ");
        await Problems.AssertProblemAsync(response, 400, "MalformedRequest");
    }

    [Fact]
    public async Task WrongJsonType_MalformedRequest()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await PostRawAsync($"/api/keys/{keyId}/encrypt", "{\"plaintext\": \"eA==\", \"context\": {\"a\": 1}}");
        await Problems.AssertProblemAsync(response, 400, "MalformedRequest");
    }

    [Fact]
    public async Task UnknownField_MalformedRequest()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await PostRawAsync($"/api/keys/{keyId}/encrypt", "{\"plainText\": \"eA==\"}");
        await Problems.AssertProblemAsync(response, 400, "MalformedRequest");
    }

    [Fact]
    public async Task MissingField_ValidationFailed()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { context = new { a = "b" } });
        var problem = await Problems.AssertProblemAsync(response, 400, "ValidationFailed");
        Assert.Contains("plaintext", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvalidBase64_InvalidBase64()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "@@not-base64@@" });
        await Problems.AssertProblemAsync(response, 400, "InvalidBase64");
    }

    [Fact]
    public async Task UnknownKey_KeyNotFound()
    {
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{Guid.NewGuid()}/encrypt", new { plaintext = "eA==" });
        await Problems.AssertProblemAsync(response, 404, "KeyNotFound");
    }

    [Fact]
    public async Task UnknownAlias_KeyNotFound()
    {
        using var response = await host.Client.PostAsJsonAsync("/api/keys/no-such-alias/encrypt", new { plaintext = "eA==" });
        await Problems.AssertProblemAsync(response, 404, "KeyNotFound");
    }

    [Fact]
    public async Task DeleteUnknownAlias_AliasNotFound()
    {
        using var response = await host.Client.DeleteAsync("/api/aliases/no-such-alias");
        await Problems.AssertProblemAsync(response, 404, "AliasNotFound");
    }

    [Fact]
    public async Task SignWithAesKey_IncorrectKeyUsage()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/sign", new { message = "eA==", algorithm = "ECDSA_SHA_256" });
        await Problems.AssertProblemAsync(response, 400, "IncorrectKeyUsage");
    }

    [Fact]
    public async Task EncryptWithSigningKey_IncorrectKeyUsage()
    {
        var keyId = await host.CreateKeyAsync("EC_P256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
        await Problems.AssertProblemAsync(response, 400, "IncorrectKeyUsage");
    }

    [Fact]
    public async Task PlaintextOver64KiB_PayloadTooLarge()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String(new byte[64 * 1024 + 1]) });
        await Problems.AssertProblemAsync(response, 413, "PayloadTooLarge");
    }

    [Fact]
    public async Task BodyOverLimit_PayloadTooLarge()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var huge = "{\"plaintext\":\"" + new string('A', 17 * 1024 * 1024) + "\"}";
        using var content = new StringContent(huge, Encoding.UTF8, "application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/keys/{keyId}/encrypt") { Content = content };
        // As a well-behaved client would: the server refuses by Content-Length before the body is sent. The client
        // waits for that answer long enough for a loaded machine (by default it sends the body after 1 s anyway, and
        // the server then closes the connection mid-upload).
        request.Headers.ExpectContinue = true;
        request.Headers.Authorization = host.Client.DefaultRequestHeaders.Authorization;
        using var client = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) }) { BaseAddress = host.BaseAddress };
        using var response = await client.SendAsync(request);
        await Problems.AssertProblemAsync(response, 413, "PayloadTooLarge");
    }

    [Fact]
    public async Task TruncatedCiphertext_InvalidCiphertext()
    {
        var ciphertext = await EncryptAsync(new Dictionary<string, string>());
        using var response = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = Convert.ToBase64String(ciphertext[..^3]) });
        await Problems.AssertProblemAsync(response, 400, "InvalidCiphertext");
    }

    [Fact]
    public async Task TamperedCiphertext_InvalidCiphertext()
    {
        var ciphertext = await EncryptAsync(new Dictionary<string, string>());
        ciphertext[40] ^= 1;
        using var response = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = Convert.ToBase64String(ciphertext) });
        await Problems.AssertProblemAsync(response, 400, "InvalidCiphertext");
    }

    [Fact]
    public async Task GarbageCiphertext_InvalidCiphertext()
    {
        using var response = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = Convert.ToBase64String(new byte[100]) });
        await Problems.AssertProblemAsync(response, 400, "InvalidCiphertext");
    }

    [Fact]
    public async Task WrongEncryptionContext_InvalidCiphertext()
    {
        var ciphertext = await EncryptAsync(new Dictionary<string, string> { ["tenant"] = "acme" });
        using var response = await host.Client.PostAsJsonAsync("/api/decrypt",
            new { ciphertext = Convert.ToBase64String(ciphertext), context = new { tenant = "evil" } });
        await Problems.AssertProblemAsync(response, 400, "InvalidCiphertext");
    }

    [Fact]
    public async Task UnknownSigningAlgorithm_UnsupportedAlgorithm()
    {
        var keyId = await host.CreateKeyAsync("RSA_2048");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/sign", new { message = "eA==", algorithm = "RSA_MD5" });
        await Problems.AssertProblemAsync(response, 400, "UnsupportedAlgorithm");
    }

    [Fact]
    public async Task MismatchedSigningAlgorithm_UnsupportedAlgorithm()
    {
        var keyId = await host.CreateKeyAsync("EC_P256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/sign", new { message = "eA==", algorithm = "ECDSA_SHA_384" });
        await Problems.AssertProblemAsync(response, 400, "UnsupportedAlgorithm");
    }

    [Fact]
    public async Task UnknownKeySpec_UnsupportedKeySpec()
    {
        using var response = await host.Client.PostAsJsonAsync("/api/keys", new { keySpec = "DES_56" });
        await Problems.AssertProblemAsync(response, 400, "UnsupportedKeySpec");
    }

    [Fact]
    public async Task DisabledKey_KeyDisabled()
    {
        var keyId = await host.CreateKeyAsync("HMAC_SHA256");
        await host.PostOkAsync($"/api/keys/{keyId}/disable", new { });
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/mac", new { message = "eA==" });
        await Problems.AssertProblemAsync(response, 409, "KeyDisabled");
    }

    [Fact]
    public async Task DisabledVersion_KeyVersionDisabled()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await host.PostOkAsync($"/api/keys/{keyId}/versions/1/disable", new { });
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
        await Problems.AssertProblemAsync(response, 409, "KeyVersionDisabled");
    }

    [Fact]
    public async Task UnknownVersion_KeyVersionNotFound()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/versions/9/disable", new { });
        await Problems.AssertProblemAsync(response, 404, "KeyVersionNotFound");
    }

    [Fact]
    public async Task BatchOverLimit_BatchTooLarge()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var items = Enumerable.Range(0, 1001).Select(_ => new { plaintext = "eA==" }).ToArray();
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { items });
        await Problems.AssertProblemAsync(response, 400, "BatchTooLarge");
    }

    [Fact]
    public async Task BatchAndSingleFieldsTogether_ValidationFailed()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var response = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==", items = new[] { new { plaintext = "eA==" } } });
        await Problems.AssertProblemAsync(response, 400, "ValidationFailed");
    }

    [Fact]
    public async Task WrongContentType_UnsupportedMediaType()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        using var content = new StringContent("plaintext=eA==", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await host.Client.PostAsync($"/api/keys/{keyId}/encrypt", content);
        await Problems.AssertProblemAsync(response, 415, "UnsupportedMediaType");
    }

    [Fact]
    public async Task EmptyBody_MalformedRequest()
    {
        using var response = await PostRawAsync("/api/random", "");
        await Problems.AssertProblemAsync(response, 400, "MalformedRequest");
    }

    [Fact]
    public async Task RandomOutOfRange_ValidationFailed()
    {
        using var response = await host.Client.PostAsJsonAsync("/api/random", new { bytes = 5000 });
        await Problems.AssertProblemAsync(response, 400, "ValidationFailed");
    }

    [Fact]
    public async Task UnknownRoute_RouteNotFound()
    {
        using var response = await host.Client.GetAsync("/api/nope");
        await Problems.AssertProblemAsync(response, 404, "RouteNotFound");
    }

    [Fact]
    public async Task WrongMethod_MethodNotAllowed()
    {
        using var response = await host.Client.DeleteAsync("/api/decrypt");
        await Problems.AssertProblemAsync(response, 405, "MethodNotAllowed");
    }

    [Fact]
    public async Task FailedRequests_DoNotChangeStoredKey()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var before = await host.Client.GetStringAsync($"/api/keys/{keyId}/versions");

        using var a = await PostRawAsync($"/api/keys/{keyId}/encrypt", "{bad");
        using var b = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/versions/0/disable", new { });
        using var c = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/sign", new { message = "eA==", algorithm = "ECDSA_SHA_256" });

        Assert.Equal(before, await host.Client.GetStringAsync($"/api/keys/{keyId}/versions"));
        await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });
    }

    [Fact]
    public async Task PutPolicy_LoneSurrogateEscape_InvalidPolicyNot500()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        const string policy = "{\"version\":\"2026-11-30\",\"statements\":[{\"effect\":\"Allow\",\"principals\":[\"\\ud800\"],\"actions\":[\"kms:Encrypt\"]}]}";
        using var content = new StringContent(policy, Encoding.UTF8, "application/json");

        using var response = await host.Client.PutAsync($"/api/keys/{keyId}/policy", content);

        await Problems.AssertProblemAsync(response, 400, "InvalidPolicy");
    }

    private async Task<HttpResponseMessage> PostRawAsync(string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await host.Client.PostAsync(path, content);
    }

    private async Task<byte[]> EncryptAsync(Dictionary<string, string> context)
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "c2VjcmV0", context });
        return Convert.FromBase64String(encrypted.GetProperty("ciphertext").GetString()!);
    }
}
