using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Kms.Api.Tests;

[Collection(KmsHostCollection.Name)]
public sealed class CryptoRoutesTests(KmsHostFixture host)
{
    private static readonly Dictionary<string, string> Context = new() { ["tenant"] = "acme", ["table"] = "orders" };

    [Fact]
    public async Task EncryptDecrypt_OneKiBWithContext_RoundTrips()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var plaintext = RandomNumberGenerator.GetBytes(1024);

        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = Convert.ToBase64String(plaintext), context = Context });
        var decrypted = await host.PostOkAsync("/api/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString(), context = Context });

        Assert.Equal(keyId, encrypted.GetProperty("keyId").GetString());
        Assert.Equal(1, encrypted.GetProperty("version").GetInt32());
        Assert.Equal(plaintext, Convert.FromBase64String(decrypted.GetProperty("plaintext").GetString()!));
        Assert.Equal(keyId, decrypted.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task Encrypt_ByAlias_UsesAliasedKey()
    {
        var alias = "orders-" + Guid.NewGuid().ToString("N")[..8];
        var keyId = await host.CreateKeyAsync("AES_256", alias);

        var encrypted = await host.PostOkAsync($"/api/keys/{alias}/encrypt", new { plaintext = "aGVsbG8=" });

        Assert.Equal(keyId, encrypted.GetProperty("keyId").GetString());
    }

    [Fact]
    public async Task Rotate_OldCiphertextDecrypts_NewEncryptionsUseNewPrimary()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var before = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "b2xk" });

        var rotated = await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var after = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "bmV3" });
        var oldOpened = await host.PostOkAsync("/api/decrypt", new { ciphertext = before.GetProperty("ciphertext").GetString() });

        Assert.Equal(2, rotated.GetProperty("primaryVersion").GetInt32());
        Assert.Equal(2, after.GetProperty("version").GetInt32());
        Assert.Equal(1, oldOpened.GetProperty("version").GetInt32());
        Assert.Equal("b2xk", oldOpened.GetProperty("plaintext").GetString());
    }

    [Fact]
    public async Task DisableKey_RefusesUse_EnableRestores()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" });

        await host.PostOkAsync($"/api/keys/{keyId}/disable", new { });
        using (var refused = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString() }))
        {
            await Problems.AssertProblemAsync(refused, 409, "KeyDisabled");
        }

        await host.PostOkAsync($"/api/keys/{keyId}/enable", new { });
        var decrypted = await host.PostOkAsync("/api/decrypt", new { ciphertext = encrypted.GetProperty("ciphertext").GetString() });
        Assert.Equal("eA==", decrypted.GetProperty("plaintext").GetString());
    }

    [Fact]
    public async Task DisableVersion_RefusesThatVersion_OthersWork_EnableRestores()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var v1 = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "djE=" });
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var v2 = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "djI=" });

        await host.PostOkAsync($"/api/keys/{keyId}/versions/1/disable", new { });
        using (var refused = await host.Client.PostAsJsonAsync("/api/decrypt", new { ciphertext = v1.GetProperty("ciphertext").GetString() }))
        {
            await Problems.AssertProblemAsync(refused, 409, "KeyVersionDisabled");
        }

        await host.PostOkAsync("/api/decrypt", new { ciphertext = v2.GetProperty("ciphertext").GetString() });
        await host.PostOkAsync($"/api/keys/{keyId}/versions/1/enable", new { });
        await host.PostOkAsync("/api/decrypt", new { ciphertext = v1.GetProperty("ciphertext").GetString() });
    }

    [Fact]
    public async Task BatchEncryptDecrypt_MixedItems_PerItemResults()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var items = Enumerable.Range(0, 50).Select(i => new { plaintext = Convert.ToBase64String(Encoding.UTF8.GetBytes($"item {i}")), context = Context }).ToArray();

        var encrypted = await host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { items });
        var ciphertexts = encrypted.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("ciphertext").GetString()).ToList();
        var decryptItems = ciphertexts.Select(c => (object)new { ciphertext = c, context = Context }).ToList();
        decryptItems.Add(new { ciphertext = "not base64!", context = Context });
        decryptItems.Add(new { ciphertext = ciphertexts[0], context = new Dictionary<string, string>() });
        var decrypted = await host.PostOkAsync("/api/decrypt", new { items = decryptItems });

        var results = decrypted.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(52, results.Length);
        for (var i = 0; i < 50; i++)
        {
            Assert.Equal($"item {i}", Encoding.UTF8.GetString(Convert.FromBase64String(results[i].GetProperty("plaintext").GetString()!)));
        }

        Assert.Equal("InvalidBase64", results[50].GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("InvalidCiphertext", results[51].GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ReEncrypt_ToOtherKey_DecryptsUnderIt_PlaintextNeverReturned()
    {
        var source = await host.CreateKeyAsync("AES_256");
        var destination = await host.CreateKeyAsync("AES_256");
        var encrypted = await host.PostOkAsync($"/api/keys/{source}/encrypt", new { plaintext = "c2VjcmV0", context = Context });

        var moved = await host.PostOkAsync("/api/re-encrypt", new
        {
            ciphertext = encrypted.GetProperty("ciphertext").GetString(),
            sourceContext = Context,
            destinationKeyId = destination,
        });
        var decrypted = await host.PostOkAsync("/api/decrypt", new { ciphertext = moved.GetProperty("ciphertext").GetString() });

        Assert.False(moved.TryGetProperty("plaintext", out _));
        Assert.Equal(destination, moved.GetProperty("keyId").GetString());
        Assert.Equal(source, moved.GetProperty("sourceKeyId").GetString());
        Assert.Equal("c2VjcmV0", decrypted.GetProperty("plaintext").GetString());
    }

    [Fact]
    public async Task GenerateDataKey_CiphertextDecryptsToSamePlaintext()
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        var dataKey = await host.PostOkAsync($"/api/keys/{keyId}/generate-data-key", new { keySpec = "AES_256", context = Context });
        var opened = await host.PostOkAsync("/api/decrypt", new { ciphertext = dataKey.GetProperty("ciphertext").GetString(), context = Context });
        var withoutPlaintext = await host.PostOkAsync($"/api/keys/{keyId}/generate-data-key", new { keySpec = "AES_128", includePlaintext = false });

        Assert.Equal(32, Convert.FromBase64String(dataKey.GetProperty("plaintext").GetString()!).Length);
        Assert.Equal(dataKey.GetProperty("plaintext").GetString(), opened.GetProperty("plaintext").GetString());
        Assert.False(withoutPlaintext.TryGetProperty("plaintext", out _));
        var small = await host.PostOkAsync("/api/decrypt", new { ciphertext = withoutPlaintext.GetProperty("ciphertext").GetString() });
        Assert.Equal(16, Convert.FromBase64String(small.GetProperty("plaintext").GetString()!).Length);
    }

    [Theory]
    [InlineData("RSA_2048", "RSASSA_PSS_SHA_256", "-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest", "sha256")]
    [InlineData("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384", "", "sha384")]
    [InlineData("EC_P256", "ECDSA_SHA_256", "", "sha256")]
    [InlineData("EC_P384", "ECDSA_SHA_384", "", "sha384")]
    public async Task SignVerify_SignatureVerifiesWithOpensslAndPublicKey(string keySpec, string algorithm, string opensslOptions, string digest)
    {
        var keyId = await host.CreateKeyAsync(keySpec);
        var message = Encoding.UTF8.GetBytes("release v1.2.3 " + Guid.NewGuid());

        var signed = await host.PostOkAsync($"/api/keys/{keyId}/sign", new { message = Convert.ToBase64String(message), algorithm });
        var signature = signed.GetProperty("signature").GetString()!;
        var verified = await host.PostOkAsync($"/api/keys/{keyId}/verify", new { message = Convert.ToBase64String(message), algorithm, signature });
        var forged = await host.PostOkAsync($"/api/keys/{keyId}/verify", new { message = "Zm9yZ2Vk", algorithm, signature });
        var pem = await host.Client.GetStringAsync($"/api/keys/{keyId}/public-key");

        Assert.True(verified.GetProperty("valid").GetBoolean());
        Assert.False(forged.GetProperty("valid").GetBoolean());
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", pem, StringComparison.Ordinal);
        Assert.True(OpensslVerifies(pem, message, Convert.FromBase64String(signature), digest, opensslOptions), "openssl rejected the signature");
    }

    [Fact]
    public async Task GetPublicKey_AcceptJson_ReturnsMetadata()
    {
        var keyId = await host.CreateKeyAsync("EC_P256");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/keys/{keyId}/public-key");
        request.Headers.Accept.ParseAdd("application/json");

        using var response = await host.Client.SendAsync(request);
        var json = await response.ReadJsonAsync();

        Assert.Equal("EC_P256", json.GetProperty("keySpec").GetString());
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Contains("BEGIN PUBLIC KEY", json.GetProperty("publicKey").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MacVerifyMac_RoundTrip_TamperedInvalid()
    {
        var keyId = await host.CreateKeyAsync("HMAC_SHA256");

        var mac = await host.PostOkAsync($"/api/keys/{keyId}/mac", new { message = "bWVzc2FnZQ==" });
        var good = await host.PostOkAsync($"/api/keys/{keyId}/verify-mac", new { message = "bWVzc2FnZQ==", mac = mac.GetProperty("mac").GetString() });
        var bad = await host.PostOkAsync($"/api/keys/{keyId}/verify-mac", new { message = "b3RoZXI=", mac = mac.GetProperty("mac").GetString() });

        Assert.Equal(32, Convert.FromBase64String(mac.GetProperty("mac").GetString()!).Length);
        Assert.True(good.GetProperty("valid").GetBoolean());
        Assert.False(bad.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Random_ReturnsRequestedLength_DifferentEachTime()
    {
        var a = await host.PostOkAsync("/api/random", new { bytes = 64 });
        var b = await host.PostOkAsync("/api/random", new { bytes = 64 });

        Assert.Equal(64, Convert.FromBase64String(a.GetProperty("random").GetString()!).Length);
        Assert.NotEqual(a.GetProperty("random").GetString(), b.GetProperty("random").GetString());
    }

    [Fact]
    public async Task DataKeyAndRandomAnswers_WriteBase64Unescaped()
    {
        // 1 KiB of random bytes has a '+' in its base64 with near certainty; a data key answer rarely does, so several.
        var keyId = await host.CreateKeyAsync("AES_256");
        using var random = await host.Client.PostAsJsonAsync("/api/random", new { bytes = 1024 });
        var bodies = new List<string> { await random.Content.ReadAsStringAsync() };
        for (var i = 0; i < 8; i++)
        {
            using var dataKey = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/generate-data-key", new { keySpec = "AES_256" });
            bodies.Add(await dataKey.Content.ReadAsStringAsync());
        }

        Assert.Contains(bodies, body => body.Contains('+', StringComparison.Ordinal));
        Assert.All(bodies, body => Assert.DoesNotContain("\\u002B", body, StringComparison.Ordinal));
        using var randomJson = JsonDocument.Parse(bodies[0]);
        Assert.Equal(1024, Convert.FromBase64String(randomJson.RootElement.GetProperty("random").GetString()!).Length);
    }

    private static bool OpensslVerifies(string pem, byte[] message, byte[] signature, string digest, string options)
    {
        var dir = Directory.CreateTempSubdirectory("kms-openssl");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "pub.pem"), pem);
            File.WriteAllBytes(Path.Combine(dir.FullName, "msg"), message);
            File.WriteAllBytes(Path.Combine(dir.FullName, "sig"), signature);
            var start = new ProcessStartInfo("openssl", $"dgst -{digest} -verify pub.pem {options} -signature sig msg")
            {
                WorkingDirectory = dir.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 && output.Contains("Verified OK", StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
