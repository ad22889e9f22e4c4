using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Kms.Api.Contracts;
using Kms.Api.Http;

namespace Kms.Api.Tests;

/// <summary>
/// Batches through the real host: bodies read into pooled buffers and base64 decoded from UTF-8 give the same
/// per-item results and errors as before, and each answer is byte for byte what the string contracts serialize to.
/// </summary>
[Collection(KmsHostCollection.Name)]
public sealed class BatchWireTests(KmsHostFixture host)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EncryptDecryptReEncrypt_ThousandItemsWithBadOnes_SameShapeAndErrors(bool chunked)
    {
        var source = await host.CreateKeyAsync("AES_256");
        var destination = await host.CreateKeyAsync("AES_256");
        var plaintexts = Enumerable.Range(0, 1000).Select(_ => RandomNumberGenerator.GetBytes(1024)).ToArray();
        var items = plaintexts.Select(p => $"{{\"plaintext\":\"{Convert.ToBase64String(p)}\",\"context\":{{\"n\":\"1\"}}}}").ToList();
        items[1] = "{\"plaintext\":\"not base64!\"}";
        items[2] = "{\"plaintext\":null}";
        items[3] = "{}";
        items[4] = "{\"plaintext\":\"\\u0041QID\",\"context\":{\"n\":\"1\"}}";   // escaped: AQID
        items[5] = "{\"plaintext\":\"AQ ID\\n\",\"context\":{\"n\":\"1\"}}";    // whitespace, as Convert accepts
        items[6] = "{\"plaintext\":\"AQID-_==\"}";                            // base64url is refused
        items[7] = "null";

        var encrypted = await PostAsync($"/api/keys/{source}/encrypt", $"{{\"items\":[{string.Join(',', items)}]}}", chunked);
        var encryptResults = AssertSameAsContract<EncryptResponse>(encrypted).Items!;

        Assert.Equal(1000, encryptResults.Count);
        AssertError(encryptResults[1].Error, "InvalidBase64", 400, "The field 'plaintext' is not valid base64.");
        AssertError(encryptResults[2].Error, "ValidationFailed", 400, "The field 'plaintext' is required.");
        AssertError(encryptResults[3].Error, "ValidationFailed", 400, "The field 'plaintext' is required.");
        AssertError(encryptResults[6].Error, "InvalidBase64", 400, "The field 'plaintext' is not valid base64.");
        AssertError(encryptResults[7].Error, "ValidationFailed", 400, "The item is null.");
        Assert.All(encryptResults.Where((_, i) => i is 0 or 4 or 5 or >= 8), r => Assert.Equal((source, 1, null), (r.KeyId, r.Version, r.Error)));

        var decryptItems = encryptResults.Select(r => r.Ciphertext is null ? "{\"ciphertext\":\"@@@@\"}" : $"{{\"ciphertext\":\"{r.Ciphertext}\",\"context\":{{\"n\":\"1\"}}}}");
        var decrypted = await PostAsync("/api/decrypt", $"{{\"items\":[{string.Join(',', decryptItems)}]}}", chunked);
        var decryptResults = AssertSameAsContract<DecryptResponse>(decrypted).Items!;

        Assert.Equal(plaintexts[0], Convert.FromBase64String(decryptResults[0].Plaintext!));
        Assert.Equal(plaintexts[999], Convert.FromBase64String(decryptResults[999].Plaintext!));
        Assert.Equal(new byte[] { 1, 2, 3 }, Convert.FromBase64String(decryptResults[4].Plaintext!));
        Assert.Equal(new byte[] { 1, 2, 3 }, Convert.FromBase64String(decryptResults[5].Plaintext!));
        AssertError(decryptResults[1].Error, "InvalidBase64", 400, "The field 'ciphertext' is not valid base64.");

        var reEncryptItems = encryptResults.Take(10).Select(r => r.Ciphertext is null ? "{\"ciphertext\":null}"
            : $"{{\"ciphertext\":\"{r.Ciphertext}\",\"sourceContext\":{{\"n\":\"1\"}},\"destinationKeyId\":\"{destination}\"}}");
        var moved = await PostAsync("/api/re-encrypt", $"{{\"items\":[{string.Join(',', reEncryptItems)}]}}", chunked);
        var movedResults = AssertSameAsContract<ReEncryptResponse>(moved).Items!;

        Assert.Equal((destination, source), (movedResults[0].KeyId, movedResults[0].SourceKeyId));
        AssertError(movedResults[1].Error, "ValidationFailed", 400, "The field 'ciphertext' is required.");
    }

    [Fact]
    public async Task SingleEncryptDecrypt_EscapedAndWhitespace_SameShape()
    {
        var keyId = await host.CreateKeyAsync("AES_256");

        var encrypted = AssertSameAsContract<EncryptResponse>(await PostAsync($"/api/keys/{keyId}/encrypt", "{\"plaintext\":\"\\u0041Q ID\"}", false));
        var decrypted = AssertSameAsContract<DecryptResponse>(await PostAsync("/api/decrypt", $"{{\"ciphertext\":\"{encrypted.Ciphertext}\"}}", true));
        using var invalid = await host.Client.PostAsync($"/api/keys/{keyId}/encrypt", new StringContent("{\"plaintext\":\"AQ=D\"}", Encoding.UTF8, "application/json"));

        Assert.Equal("AQID", decrypted.Plaintext);
        Assert.Equal((keyId, 1), (decrypted.KeyId, decrypted.Version));
        await Problems.AssertProblemAsync(invalid, 400, "InvalidBase64");
    }

    private async Task<string> PostAsync(string path, string json, bool chunked)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        // StreamContent over a non-seekable stream has no length, so the client sends it chunked.
        using HttpContent content = chunked ? new StreamContent(new NonSeekable(bytes)) : new ByteArrayContent(bytes);
        content.Headers.ContentType = new("application/json");
        using var response = await host.Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} -> {(int)response.StatusCode}: {text}");
        Assert.Equal(chunked, content.Headers.ContentLength is null);
        Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        return text;
    }

    /// <summary>Read as the string contract and written back, the answer is unchanged (up to escaping): same names, order, omitted nulls, base64.</summary>
    private static T AssertSameAsContract<T>(string json)
    {
        var value = JsonSerializer.Deserialize<T>(json, KmsJson.Options)!;
        Assert.Equal(JsonText.Canonical(json), JsonSerializer.Serialize(value, KmsJson.Options));
        return value;
    }

    private static void AssertError(ItemError? error, string code, int status, string detail) =>
        Assert.Equal(new ItemError(code, status, detail), error);

    private sealed class NonSeekable(byte[] data) : MemoryStream(data, writable: false)
    {
        public override bool CanSeek => false;
    }
}
