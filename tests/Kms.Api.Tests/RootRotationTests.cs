using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Hsm.Pkcs11;
using Kms.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests;

/// <summary>
/// Root-key rotation end to end, on a host of its own (its own tables, task hub and root family on the shared token):
/// every stored blob moves to the new root, what was encrypted, signed or MACed before still checks out, new keys use
/// the new root and the old root is gone from the token.
/// </summary>
public sealed class RootRotationTests : IAsyncLifetime
{
    private readonly KmsHostFixture _host = new(new Dictionary<string, string?>
    {
        ["Kms:RootRotationGracePeriod"] = "00:00:01",
        // Checkpoints soon, so the audit signing key (wrapped under the root too) exists before the rotation.
        ["Kms:Audit:CheckpointInterval"] = "00:00:01",
    });

    public Task InitializeAsync() => _host.InitializeAsync();

    public Task DisposeAsync() => _host.DisposeAsync();

    [Fact]
    public async Task StartRootKeyRotation_KeysOfEverySpec_AllMovedToNewRootOldRootRetiredAndDataStillOpens()
    {
        var aes = await _host.CreateKeyAsync("AES_256");
        await _host.PostOkAsync($"/api/keys/{aes}/rotate", new { });
        var ec = await _host.CreateKeyAsync("EC_P256");
        var rsa = await _host.CreateKeyAsync("RSA_2048");
        var hmac = await _host.CreateKeyAsync("HMAC_SHA256");
        var ciphertext = (await _host.PostOkAsync($"/api/keys/{aes}/encrypt", new { plaintext = "cm9vdC1yb3RhdGlvbg==", context = new { app = "t" } }))
            .GetProperty("ciphertext").GetString();
        var ecSignature = await SignAsync(ec, "ECDSA_SHA_256");
        var rsaSignature = await SignAsync(rsa, "RSASSA_PSS_SHA_256");
        var mac = (await _host.PostOkAsync($"/api/keys/{hmac}/mac", new { message = "bWFj" })).GetProperty("mac").GetString();
        var audit = _host.Services!.GetRequiredService<IAuditStore>();
        for (var i = 0; i < 600 && await audit.GetSigningKeyAsync(CancellationToken.None) is null; i++)
        {
            // A checkpoint (which creates the signing key) is written with a batch of records once the interval has passed:
            // keep requests coming so there is a batch to write.
            (await _host.Client.GetAsync($"/api/keys/{aes}")).Dispose();
            await Task.Delay(100);
        }

        Assert.Equal(_host.RootKeyLabel, (await audit.GetSigningKeyAsync(CancellationToken.None))?.RootKeyLabel);
        var newRoot = $"{_host.RootKeyLabel}.gen2";

        using var start = await _host.Client.PostAsync("/api/hsm/root-rotations", null);
        var started = await start.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var operationId = started.GetProperty("operationId").GetString()!;
        Assert.StartsWith("rootrotation-", operationId, StringComparison.Ordinal);
        Assert.Equal($"/api/operations/{operationId}", start.Headers.Location!.OriginalString);
        using (var second = await _host.Client.PostAsync("/api/hsm/root-rotations", null))
        {
            await Problems.AssertProblemAsync(second, 409, KmsErrorCodes.OperationConflict);
        }

        var done = await _host.WaitForOperationAsync(operationId, "COMPLETED");

        Assert.Equal("rootrotation", done.GetProperty("type").GetString());
        Assert.False(done.TryGetProperty("keyId", out _), "A root-key rotation concerns no key.");
        Assert.Equal(["root-created", "rewrapped", "switched", "verified", "old-root-retired"],
            done.GetProperty("checkpoints").EnumerateArray().Select(c => c.GetString()));
        Assert.True(done.GetProperty("progress").GetProperty("done").GetInt64() >= 6);
        var listed = await _host.Client.GetFromJsonAsync<JsonElement>("/api/operations?type=rootrotation");
        Assert.Contains(listed.GetProperty("operations").EnumerateArray(), o => o.GetProperty("operationId").GetString() == operationId);

        var services = _host.Services!;
        var store = services.GetRequiredService<IKeyStore>();
        foreach (var keyId in new[] { aes, ec, rsa, hmac })
        {
            Assert.All(await store.ListVersionsAsync(keyId, CancellationToken.None), v => Assert.Equal(newRoot, v.RootKeyLabel));
        }

        Assert.Equal(newRoot, (await audit.GetSigningKeyAsync(CancellationToken.None))!.RootKeyLabel);

        // Data from before the rotation still opens and verifies, and the keys still work.
        var decrypted = await _host.PostOkAsync("/api/decrypt", new { ciphertext, context = new { app = "t" } });
        Assert.Equal("cm9vdC1yb3RhdGlvbg==", decrypted.GetProperty("plaintext").GetString());
        Assert.True(await VerifyAsync(ec, "ECDSA_SHA_256", ecSignature));
        Assert.True(await VerifyAsync(rsa, "RSASSA_PSS_SHA_256", rsaSignature));
        Assert.True(await VerifyAsync(ec, "ECDSA_SHA_256", await SignAsync(ec, "ECDSA_SHA_256")));
        Assert.True(await VerifyAsync(rsa, "RSASSA_PSS_SHA_256", await SignAsync(rsa, "RSASSA_PSS_SHA_256")));
        Assert.Equal(mac, (await _host.PostOkAsync($"/api/keys/{hmac}/mac", new { message = "bWFj" })).GetProperty("mac").GetString());

        // New keys are wrapped under the new root.
        var fresh = await _host.CreateKeyAsync("AES_256");
        Assert.Equal(newRoot, Assert.Single(await store.ListVersionsAsync(fresh, CancellationToken.None)).RootKeyLabel);
        // Checkpoints signed after the rotation (with the rewrapped audit key) verify.
        await Task.Delay(TimeSpan.FromSeconds(2));
        using var auditor = _host.CreateClient("root-rotation-auditor", KmsRoles.Auditor);
        using var verify = await auditor.PostAsJsonAsync("/api/audit/verify", new { });
        var verified = await verify.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(verify.IsSuccessStatusCode && verified.GetProperty("valid").GetBoolean(), verified.ToString());

        // The old root is gone from the token, as a connector of its own sees it.
        var options = LocalStack.Configuration.GetSection(Pkcs11HsmOptions.SectionName).Get<Pkcs11HsmOptions>()!;
        options.RootKeyLabel = _host.RootKeyLabel;
        using var hsm = new Pkcs11Hsm(options);
        Assert.Equal([newRoot], hsm.ListRootKeys());
        Assert.Equal(newRoot, hsm.GetCurrentRootKeyLabel());
        var health = await _host.Client.GetFromJsonAsync<JsonElement>("/api/health");
        Assert.Equal("ok", health.GetProperty("components").GetProperty("hsm").GetProperty("status").GetString());
    }

    [Fact]
    public async Task StartRootKeyRotation_PausedThenResumed_CompletesAndOnlyOneRunsAtATime()
    {
        var keyId = await _host.CreateKeyAsync("AES_256");
        var ciphertext = (await _host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "eA==" })).GetProperty("ciphertext").GetString();
        var operationId = (await _host.PostOkAsync("/api/hsm/root-rotations", new { })).GetProperty("operationId").GetString()!;

        var paused = await _host.PostOkAsync($"/api/operations/{operationId}/pause", new { });
        Assert.Equal("PAUSED", (await _host.WaitForOperationAsync(operationId, "PAUSED")).GetProperty("state").GetString());
        using (var another = await _host.Client.PostAsync("/api/hsm/root-rotations", null))
        {
            await Problems.AssertProblemAsync(another, 409, KmsErrorCodes.OperationConflict);
        }

        await _host.PostOkAsync($"/api/operations/{operationId}/resume", new { });
        await _host.WaitForOperationAsync(operationId, "COMPLETED");

        Assert.Equal("rootrotation", paused.GetProperty("type").GetString());
        var version = Assert.Single(await _host.Services!.GetRequiredService<IKeyStore>().ListVersionsAsync(keyId, CancellationToken.None));
        Assert.Equal($"{_host.RootKeyLabel}.gen2", version.RootKeyLabel);
        Assert.Equal("eA==", (await _host.PostOkAsync("/api/decrypt", new { ciphertext })).GetProperty("plaintext").GetString());
    }

    private async Task<string> SignAsync(string keyId, string algorithm) =>
        (await _host.PostOkAsync($"/api/keys/{keyId}/sign", new { message = "c2lnbg==", algorithm })).GetProperty("signature").GetString()!;

    private async Task<bool> VerifyAsync(string keyId, string algorithm, string signature) =>
        (await _host.PostOkAsync($"/api/keys/{keyId}/verify", new { message = "c2lnbg==", algorithm, signature })).GetProperty("valid").GetBoolean();
}
