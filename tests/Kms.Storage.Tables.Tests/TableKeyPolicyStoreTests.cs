using Kms.Core.Errors;

namespace Kms.Storage.Tables.Tests;

public sealed class TableKeyPolicyStoreTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableKeyPolicyStoreTests(StoreFixture fixture) => _fixture = fixture;

    private async Task<string> NewKeyAsync()
    {
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        return key.KeyId;
    }

    [Fact]
    public async Task GetPolicyAsync_KeyWithoutPolicy_ReturnsNull()
    {
        // Arrange
        var keyId = await NewKeyAsync();

        // Act
        var policy = await _fixture.Policies.GetPolicyAsync(keyId, CancellationToken.None);

        // Assert
        Assert.Null(policy);
    }

    [Fact]
    public async Task PutPolicyAsync_NoETag_CreatesPolicy()
    {
        // Arrange
        var keyId = await NewKeyAsync();
        var policy = Records.Policy(keyId, """{"statements":[{"effect":"Allow","principals":["ünïcode ✓"]}]}""");

        // Act
        var stored = await _fixture.Policies.PutPolicyAsync(policy, CancellationToken.None);
        var read = await _fixture.Policies.GetPolicyAsync(keyId, CancellationToken.None);

        // Assert
        Assert.False(string.IsNullOrEmpty(stored.ETag));
        Assert.Equal(policy with { ETag = stored.ETag }, read);
    }

    [Fact]
    public async Task PutPolicyAsync_CurrentETag_ReplacesPolicy()
    {
        // Arrange
        var keyId = await NewKeyAsync();
        var first = await _fixture.Policies.PutPolicyAsync(Records.Policy(keyId), CancellationToken.None);
        var replacement = first with { Document = """{"statements":[{"effect":"Deny"}]}""", UpdatedAt = Records.Created.AddHours(1), UpdatedBy = "second-admin" };

        // Act
        var stored = await _fixture.Policies.PutPolicyAsync(replacement, CancellationToken.None);

        // Assert
        var read = await _fixture.Policies.GetPolicyAsync(keyId, CancellationToken.None);
        Assert.Equal(replacement with { ETag = stored.ETag }, read);
        Assert.NotEqual(first.ETag, stored.ETag);
    }

    [Fact]
    public async Task PutPolicyAsync_StaleETag_ThrowsConcurrentModificationAndKeepsPolicy()
    {
        // Arrange
        var keyId = await NewKeyAsync();
        var stale = await _fixture.Policies.PutPolicyAsync(Records.Policy(keyId), CancellationToken.None);
        var current = await _fixture.Policies.PutPolicyAsync(stale with { Document = """{"statements":["first writer"]}""" }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Policies.PutPolicyAsync(
            stale with { Document = """{"statements":["second writer"]}""" }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        Assert.Contains($"Policy of key '{keyId}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(current, await _fixture.Policies.GetPolicyAsync(keyId, CancellationToken.None));
    }

    [Fact]
    public async Task PutPolicyAsync_NoETagWhenPolicyExists_ThrowsConcurrentModificationAndKeepsPolicy()
    {
        // Arrange: two admins both saw "no policy" and both create one.
        var keyId = await NewKeyAsync();
        var first = await _fixture.Policies.PutPolicyAsync(Records.Policy(keyId), CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Policies.PutPolicyAsync(
            Records.Policy(keyId, """{"statements":["late"]}"""), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        Assert.Equal(first, await _fixture.Policies.GetPolicyAsync(keyId, CancellationToken.None));
    }

    [Fact]
    public async Task PutPolicyAsync_KeyRow_IsLeftUntouched()
    {
        // Arrange
        var key = Records.Key(description: "with policy");
        var created = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        await _fixture.Policies.PutPolicyAsync(Records.Policy(key.KeyId), CancellationToken.None);

        // Assert: the key's ETag still holds, so a key update in flight does not lose to a policy change.
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.Equal(created.ETag, read?.ETag);
        await _fixture.Keys.UpdateKeyAsync(created with { Description = "updated" }, CancellationToken.None);
    }

    [Fact]
    public async Task StoredPolicy_IsNotListedAsVersionOrKey()
    {
        // Arrange: tables of its own, so the key listing holds exactly what this test wrote.
        await using var fixture = await StoreFixture.CreateAsync();
        var key = Records.Key();
        var created = await fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        await fixture.Keys.AddVersionAsync(created with { PrimaryVersion = 2, LatestVersion = 2 }, Records.Version(key.KeyId, 2), CancellationToken.None);
        await fixture.Policies.PutPolicyAsync(Records.Policy(key.KeyId), CancellationToken.None);

        // Act
        var versions = await fixture.Keys.ListVersionsAsync(key.KeyId, CancellationToken.None);
        var keys = await fixture.Keys.ListKeysAsync(10, null, CancellationToken.None);

        // Assert
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal([key.KeyId], keys.Items.Select(k => k.KeyId));
        Assert.Null(keys.ContinuationToken);
    }
}
