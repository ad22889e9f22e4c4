using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Kms.KubernetesPlugin.V2;
using Kms.Testing;

namespace Kms.KubernetesPlugin.Tests;

/// <summary>The plugin over a real unix socket against the real KMS (SoftHSM2 + Azurite), called as the API server calls it.</summary>
[Collection(PluginCollection.Name)]
public sealed class KeyManagementServiceTests(KmsHostFixture host)
{
    // Short, so a rotation shows in Status quickly; the tests poll, they never measure it.
    private static readonly TimeSpan HealthCache = TimeSpan.FromMilliseconds(200);

    private static ByteString Seed(string text) => ByteString.CopyFrom(text, Encoding.UTF8);

    [Fact]
    public async Task EncryptThenDecrypt_ByAlias_RoundTripsWithVersionedKeyIdAndSmallAnnotations()
    {
        var alias = "k8s-" + Guid.NewGuid().ToString("N")[..12];
        var keyId = await host.CreateKeyAsync("AES_256", alias);
        await using var plugin = await PluginUnderTest.StartAsync(host, alias, HealthCache);
        var seed = Seed("dek-seed-round-trip-0123456789abcdef");

        var encrypted = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = seed, Uid = "uid-1" });

        Assert.Equal($"{keyId}:v1", encrypted.KeyId);
        Assert.NotEqual(seed, encrypted.Ciphertext);
        Assert.DoesNotContain(seed.ToStringUtf8(), Encoding.UTF8.GetString(encrypted.Ciphertext.Span), StringComparison.Ordinal);
        Assert.Equal("1", encrypted.Annotations[KmsAnnotations.KeyVersion].ToStringUtf8());
        Assert.Equal(keyId, encrypted.Annotations[KmsAnnotations.KeyId].ToStringUtf8());
        Assert.True(encrypted.Annotations.Sum(a => a.Key.Length + a.Value.Length) < 32 * 1024);

        var decrypted = await plugin.Client.DecryptAsync(new DecryptRequest
        {
            Ciphertext = encrypted.Ciphertext,
            Uid = "uid-2",
            KeyId = encrypted.KeyId,
            Annotations = { encrypted.Annotations },
        });
        Assert.Equal(seed, decrypted.Plaintext);
    }

    [Fact]
    public async Task Status_KmsHealthy_OkWithVersionV2AndTheKeyIdEncryptReports()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await using var plugin = await PluginUnderTest.StartAsync(host, keyId, HealthCache);

        var status = await plugin.Client.StatusAsync(new StatusRequest());
        var encrypted = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = Seed("seed"), Uid = "uid" });

        Assert.Equal(("v2", "ok"), (status.Version, status.Healthz));
        Assert.Equal(encrypted.KeyId, status.KeyId);
    }

    [Fact]
    public async Task Status_AfterStagedKeyRotation_ReportsNewKeyIdAndOldCiphertextStillDecrypts()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await using var plugin = await PluginUnderTest.StartAsync(host, keyId, HealthCache);
        var before = await plugin.Client.StatusAsync(new StatusRequest());
        var oldSeed = Seed("seed-before-rotation");
        var old = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = oldSeed, Uid = "before" });
        Assert.Equal(($"{keyId}:v1", $"{keyId}:v1"), (before.KeyId, old.KeyId));

        string operationId;
        using (var response = await host.Client.PostAsync($"/api/keys/{keyId}/rotations", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            operationId = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("operationId").GetString()!;
        }

        await host.WaitForOperationAsync(operationId, "COMPLETED");

        var after = await Eventually.ReturnsAsync(() => plugin.Client.StatusAsync(new StatusRequest()).ResponseAsync,
            s => s.KeyId != before.KeyId, "Status did not report a new key_id after the rotation");
        Assert.Equal(($"{keyId}:v2", "ok"), (after.KeyId, after.Healthz));

        var fresh = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = Seed("seed-after-rotation"), Uid = "after" });
        Assert.Equal(after.KeyId, fresh.KeyId);

        var reopened = await plugin.Client.DecryptAsync(new DecryptRequest { Ciphertext = old.Ciphertext, Uid = "old", KeyId = old.KeyId });
        Assert.Equal(oldSeed, reopened.Plaintext);
    }

    [Fact]
    public async Task Decrypt_VersionRevoked_FailedPreconditionNamingKmsCodeAndNoPlaintextInLogs()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await using var plugin = await PluginUnderTest.StartAsync(host, keyId, HealthCache);
        const string secret = "revoked-seed-must-never-be-logged";
        var encrypted = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = Seed(secret), Uid = "uid" });

        using (var revocation = await host.Client.PostAsJsonAsync($"/api/keys/{keyId}/revocations",
            new { versions = new[] { 1 }, reason = "kubernetes plugin test" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, revocation.StatusCode);
        }

        var failure = await Assert.ThrowsAsync<RpcException>(() => plugin.Client.DecryptAsync(
            new DecryptRequest { Ciphertext = encrypted.Ciphertext, Uid = "revoked-uid", KeyId = encrypted.KeyId }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, failure.StatusCode);
        Assert.Contains("KeyVersionRevoked", failure.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("revoked-uid", plugin.AllLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, plugin.AllLogs, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, failure.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decrypt_TamperedCiphertext_InvalidArgumentWithoutPlaintext()
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        await using var plugin = await PluginUnderTest.StartAsync(host, keyId, HealthCache);
        var encrypted = await plugin.Client.EncryptAsync(new EncryptRequest { Plaintext = Seed("tamper-seed"), Uid = "uid" });
        var bytes = encrypted.Ciphertext.ToByteArray();
        bytes[^1] ^= 0x01;

        var failure = await Assert.ThrowsAsync<RpcException>(() => plugin.Client.DecryptAsync(
            new DecryptRequest { Ciphertext = ByteString.CopyFrom(bytes), Uid = "uid" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, failure.StatusCode);
        Assert.Contains("InvalidCiphertext", failure.Status.Detail, StringComparison.Ordinal);
    }
}
