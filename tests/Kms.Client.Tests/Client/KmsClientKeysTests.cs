using Azure;
using Kms.Client.Models;
using Kms.Testing;

namespace Kms.Client.Tests.Client;

/// <summary>Key, version, alias and deletion routes through KmsClient against the real KMS.</summary>
[Collection(KmsClientCollection.Name)]
public sealed class KmsClientKeysTests(KmsHostFixture host)
{
    private readonly KmsClient _client = KmsTestClients.Admin(host);

    [Fact]
    public async Task CreateKey_WithAliasDescriptionAndTags_GetByAliasReturnsTheKeyWithItsAlias()
    {
        var alias = "client-" + Guid.NewGuid().ToString("N")[..10];
        var options = new CreateKeyOptions(KeySpecs.Aes256) { Alias = alias, Description = "orders", Tags = { ["team"] = "billing" } };

        var created = await _client.CreateKeyAsync(options);
        var fetched = await _client.GetKeyAsync(alias);

        Assert.Equal(201, created.GetRawResponse().Status);
        Assert.Equal(created.Value.KeyId, fetched.Value.KeyId);
        Assert.Equal("ENABLED", fetched.Value.State);
        Assert.Equal(KeyUsages.EncryptDecrypt, fetched.Value.KeyUsage);
        Assert.Equal("orders", fetched.Value.Description);
        Assert.Equal("billing", fetched.Value.Tags["team"]);
        Assert.Contains(alias, fetched.Value.Aliases!);
    }

    [Fact]
    public async Task GetKeys_SmallPages_ReturnsEveryKeyAcrossSeveralPages()
    {
        var created = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            created.Add((await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.HmacSha256))).Value.KeyId);
        }

        var pages = 0;
        var seen = new HashSet<string>();
        await foreach (var page in _client.GetKeysAsync().AsPages(pageSizeHint: 2))
        {
            pages++;
            Assert.True(page.Values.Count <= 2);
            seen.UnionWith(page.Values.Select(k => k.KeyId));
        }

        var all = new HashSet<string>();
        await foreach (var key in _client.GetKeysAsync())
        {
            all.Add(key.KeyId);
        }

        Assert.True(pages >= 2, $"{pages} page(s)");
        Assert.Superset(created.ToHashSet(), seen);
        Assert.Superset(created.ToHashSet(), all);
    }

    [Fact]
    public async Task DisableKey_ThenEncrypt_FailsKeyDisabledUntilEnabled()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

        var disabled = await _client.DisableKeyAsync(keyId);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.EncryptAsync(keyId, "x"u8.ToArray()));
        var enabled = await _client.EnableKeyAsync(keyId);
        var encrypted = await _client.EncryptAsync(keyId, "x"u8.ToArray());

        Assert.Equal("DISABLED", disabled.Value.State);
        Assert.Equal((409, "KeyDisabled"), (refused.Status, refused.ErrorCode));
        Assert.Equal("ENABLED", enabled.Value.State);
        Assert.Equal(keyId, encrypted.Value.KeyId);
    }

    [Fact]
    public async Task RotateKey_ThenVersions_ListsBothAndVersionsCanBeDisabledAndEnabled()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var old = await _client.EncryptAsync(keyId, "before"u8.ToArray());

        var rotated = await _client.RotateKeyAsync(keyId);
        var versions = await _client.GetKeyVersionsAsync(keyId);
        var disabled = await _client.DisableKeyVersionAsync(keyId, 1);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.DecryptAsync(old.Value.Ciphertext));
        var enabled = await _client.EnableKeyVersionAsync(keyId, 1);
        var opened = await _client.DecryptAsync(old.Value.Ciphertext);

        Assert.Equal((2, 2), (rotated.Value.Version, rotated.Value.PrimaryVersion));
        Assert.Equal(2, versions.Value.PrimaryVersion);
        Assert.Equal([1, 2], versions.Value.Versions.Select(v => v.Version).Order());
        Assert.True(versions.Value.Versions.Single(v => v.Version == 2).Primary);
        Assert.Equal("DISABLED", disabled.Value.State);
        Assert.Equal((409, "KeyVersionDisabled"), (refused.Status, refused.ErrorCode));
        Assert.Equal("ENABLED", enabled.Value.State);
        Assert.Equal("before"u8.ToArray(), opened.Value.Plaintext);
        Assert.Equal(1, opened.Value.Version);
    }

    [Fact]
    public async Task SetAlias_RepointedThenDeleted_FollowsTheKeyAndThenIsGone()
    {
        var first = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var second = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;
        var alias = "client-alias-" + Guid.NewGuid().ToString("N")[..8];

        var created = await _client.SetAliasAsync(alias, first);
        var repointed = await _client.SetAliasAsync(alias, second);
        var encrypted = await _client.EncryptAsync(alias, "a"u8.ToArray());
        var deleted = await _client.DeleteAliasAsync(alias);
        var gone = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetKeyAsync(alias));
        var deleteAgain = await Assert.ThrowsAsync<RequestFailedException>(() => _client.DeleteAliasAsync(alias));

        Assert.Equal(201, created.GetRawResponse().Status);
        Assert.Equal((200, second), (repointed.GetRawResponse().Status, repointed.Value.KeyId));
        Assert.Equal(second, encrypted.Value.KeyId);
        Assert.Equal(204, deleted.Status);
        Assert.Equal((404, "KeyNotFound"), (gone.Status, gone.ErrorCode));
        Assert.Equal((404, "AliasNotFound"), (deleteAgain.Status, deleteAgain.ErrorCode));
    }

    [Fact]
    public async Task ScheduleKeyDeletion_ProtectedThenUnprotected_RefusedThenPendingThenCanceledToDisabled()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

        var protectedKey = await _client.SetDeletionProtectionAsync(keyId, enabled: true);
        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => _client.ScheduleKeyDeletionAsync(keyId, 7));
        await _client.SetDeletionProtectionAsync(keyId, enabled: false);
        var pending = await _client.ScheduleKeyDeletionAsync(keyId, 7);
        var inUse = await Assert.ThrowsAsync<RequestFailedException>(() => _client.EncryptAsync(keyId, "x"u8.ToArray()));
        var canceled = await _client.CancelKeyDeletionAsync(keyId);

        Assert.True(protectedKey.Value.DeletionProtection);
        Assert.Equal((409, "DeletionProtected"), (refused.Status, refused.ErrorCode));
        Assert.Equal("PENDING_DELETION", pending.Value.State);
        Assert.NotNull(pending.Value.DeletionDate);
        Assert.Equal((409, "KeyPendingDeletion"), (inUse.Status, inUse.ErrorCode));
        Assert.Equal("DISABLED", canceled.Value.State);
    }

    [Fact]
    public async Task SetRotationPolicy_PeriodThenNull_SetsAndClearsTheSchedule()
    {
        var keyId = (await _client.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256))).Value.KeyId;

        var scheduled = await _client.SetRotationPolicyAsync(keyId, 90);
        var cleared = await _client.SetRotationPolicyAsync(keyId, null);

        Assert.Equal(90, scheduled.Value.RotationPeriodDays);
        Assert.NotNull(scheduled.Value.NextRotationAt);
        Assert.Null(cleared.Value.RotationPeriodDays);
    }

    [Fact]
    public async Task GetKey_UnknownKey_ThrowsKeyNotFound404()
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => _client.GetKeyAsync(Guid.NewGuid().ToString()));

        Assert.Equal(404, failure.Status);
        Assert.Equal("KeyNotFound", failure.ErrorCode);
        Assert.Contains("Key not found", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateKey_CallerWithoutAdminRole_ThrowsAccessDenied403()
    {
        var cryptoOnly = KmsTestClients.Create(host, "client-crypto-only", KmsRoles.Crypto);

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => cryptoOnly.CreateKeyAsync(new CreateKeyOptions(KeySpecs.Aes256)));

        Assert.Equal(403, failure.Status);
        Assert.Equal("AccessDenied", failure.ErrorCode);
    }

    [Fact]
    public async Task GetKey_TokenSignedByAnotherKey_ThrowsUnauthenticated401()
    {
        using var strangerKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var impostor = new KmsClient(host.BaseAddress, new KmsDevCredential(strangerKey.ExportPkcs8PrivateKeyPem(), "client-admin", [KmsRoles.Admin]));

        var failure = await Assert.ThrowsAsync<RequestFailedException>(() => impostor.GetKeyAsync(Guid.NewGuid().ToString()));

        Assert.Equal((401, "Unauthenticated"), (failure.Status, failure.ErrorCode));
    }

    [Fact]
    public async Task GetHealth_RunningHost_IsHealthyWithHsmAndStorage()
    {
        var anonymousIsFine = KmsTestClients.Create(host, "client-health");

        var health = await anonymousIsFine.GetHealthAsync();

        Assert.True(health.Value.IsHealthy);
        Assert.Equal("ok", health.Value.Components["hsm"].Status);
        Assert.Equal("ok", health.Value.Components["storage"].Status);
    }
}
