using Azure.Data.Tables;
using Kms.Core;
using Kms.Core.Errors;

namespace Kms.Storage.Tables.Tests;

public sealed class TableKeyStoreTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableKeyStoreTests(StoreFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task CreateKeyAsync_NewKey_RoundTripsKeyAndFirstVersion()
    {
        // Arrange
        var tags = new Dictionary<string, string> { ["team"] = "payments", ["quote\"d"] = "ünïcode ✓" };
        var key = Records.Key(spec: KeySpec.EcP256, tags: tags, description: "signing key");
        var material = Records.AllByteValues();
        var publicKey = new byte[] { 0x30, 0x59, 0x00, 0xFF, 0x00 };
        var version = Records.Version(key.KeyId, 1, material, publicKey);

        // Act
        var created = await _fixture.Keys.CreateKeyAsync(key, version, CancellationToken.None);
        var readKey = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        var readVersion = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);

        // Assert
        Assert.False(string.IsNullOrEmpty(created.ETag));
        Assert.NotNull(readKey);
        Assert.Equal(created.ETag, readKey.ETag);
        Assert.Equal(key with { Tags = readKey.Tags, ETag = readKey.ETag }, readKey);
        Assert.Equal(tags, readKey.Tags);
        Assert.NotNull(readVersion);
        Assert.Equal(material, readVersion.WrappedMaterial);
        Assert.Equal(publicKey, readVersion.PublicKey);
        Assert.Equal(version with { WrappedMaterial = readVersion.WrappedMaterial, PublicKey = readVersion.PublicKey, ETag = readVersion.ETag }, readVersion);
    }

    [Fact]
    public async Task CreateKeyAsync_SymmetricKeyWithoutDescriptionOrTags_ReadsBackNullsAndEmptyTags()
    {
        // Arrange
        var key = Records.Key();
        var version = Records.Version(key.KeyId, 1);

        // Act
        await _fixture.Keys.CreateKeyAsync(key, version, CancellationToken.None);
        var readKey = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        var readVersion = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);

        // Assert
        Assert.NotNull(readKey);
        Assert.Null(readKey.Description);
        Assert.Empty(readKey.Tags);
        Assert.NotNull(readVersion);
        Assert.Null(readVersion.PublicKey);
        Assert.Equal(version.WrappedMaterial, readVersion.WrappedMaterial);
    }

    [Fact]
    public async Task CreateKeyAsync_PendingDeletionWithProtectionAndDate_RoundTrips()
    {
        // Arrange
        var key = Records.Key() with
        {
            State = KeyState.PendingDeletion,
            DeletionProtection = true,
            DeletionDate = Records.Created.AddDays(30),
        };

        // Act
        var created = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);

        // Assert
        Assert.NotNull(read);
        Assert.Equal(key with { Tags = read.Tags, ETag = created.ETag }, read);
        Assert.Equal(KeyState.PendingDeletion, read.State);
        Assert.True(read.DeletionProtection);
        Assert.Equal(Records.Created.AddDays(30), read.DeletionDate);
    }

    [Fact]
    public async Task UpdateKeyAsync_DeletionCancelled_ClearsDeletionDate()
    {
        // Arrange
        var key = Records.Key() with { State = KeyState.PendingDeletion, DeletionDate = Records.Created.AddDays(7) };
        var created = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        await _fixture.Keys.UpdateKeyAsync(created with { State = KeyState.Disabled, DeletionDate = null, DeletionProtection = true },
            CancellationToken.None);

        // Assert
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(KeyState.Disabled, read.State);
        Assert.Null(read.DeletionDate);
        Assert.True(read.DeletionProtection);
    }

    [Fact]
    public async Task GetKeyAsync_RowWrittenBeforeDeletionProperties_ReadsUnprotectedAndUnscheduled()
    {
        // Arrange: a key row as stores before deletion scheduling wrote it, without DeletionProtection or DeletionDate.
        var keyId = Guid.NewGuid().ToString("D");
        await _fixture.Tables.Keys.AddEntityAsync(new TableEntity(keyId, "key")
        {
            ["Spec"] = "Aes256",
            ["Usage"] = "EncryptDecrypt",
            ["State"] = "Enabled",
            ["PrimaryVersion"] = 1,
            ["LatestVersion"] = 1,
            ["Tags"] = "{}",
            ["CreatedAt"] = Records.Created,
            ["UpdatedAt"] = Records.Created,
        });

        // Act
        var read = await _fixture.Keys.GetKeyAsync(keyId, CancellationToken.None);

        // Assert
        Assert.NotNull(read);
        Assert.Equal(KeyState.Enabled, read.State);
        Assert.False(read.DeletionProtection);
        Assert.Null(read.DeletionDate);
        Assert.Equal(Records.Key(keyId) with { ETag = read.ETag, Tags = read.Tags }, read);
    }

    [Fact]
    public async Task CreateKeyAsync_SameKeyTwice_ThrowsConcurrentModification()
    {
        // Arrange
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
    }

    [Fact]
    public async Task GetKeyAsync_UnknownKey_ReturnsNull()
    {
        // Act
        var key = await _fixture.Keys.GetKeyAsync(Guid.NewGuid().ToString("D"), CancellationToken.None);

        // Assert
        Assert.Null(key);
    }

    [Fact]
    public async Task GetVersionAsync_UnknownVersion_ReturnsNull()
    {
        // Arrange
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        var version = await _fixture.Keys.GetVersionAsync(key.KeyId, 2, CancellationToken.None);

        // Assert
        Assert.Null(version);
    }

    [Fact]
    public async Task AddVersionAsync_CurrentETag_StoresVersionAndUpdatesKey()
    {
        // Arrange
        var created = Records.Key();
        var key = await _fixture.Keys.CreateKeyAsync(created, Records.Version(created.KeyId, 1), CancellationToken.None);
        var version2 = Records.Version(key.KeyId, 2, Records.AllByteValues());

        // Act
        var (updatedKey, storedVersion) = await _fixture.Keys.AddVersionAsync(
            key with { PrimaryVersion = 2, LatestVersion = 2 }, version2, CancellationToken.None);

        // Assert
        var readKey = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        var readVersion = await _fixture.Keys.GetVersionAsync(key.KeyId, 2, CancellationToken.None);
        Assert.NotNull(readKey);
        Assert.Equal(2, readKey.PrimaryVersion);
        Assert.Equal(2, readKey.LatestVersion);
        Assert.Equal(readKey.ETag, updatedKey.ETag);
        Assert.NotEqual(key.ETag, updatedKey.ETag);
        Assert.NotNull(readVersion);
        Assert.Equal(readVersion.ETag, storedVersion.ETag);
        Assert.Equal(version2.WrappedMaterial, readVersion.WrappedMaterial);
    }

    [Fact]
    public async Task ListVersionsAsync_ElevenVersions_ReturnsAllOldestFirst()
    {
        // Arrange: past 9 versions, so an unpadded row key would sort "v10" before "v2".
        var key = Records.Key();
        var current = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        for (var v = 2; v <= 11; v++)
        {
            (current, _) = await _fixture.Keys.AddVersionAsync(current with { PrimaryVersion = v, LatestVersion = v },
                Records.Version(key.KeyId, v), CancellationToken.None);
        }

        // Act
        var versions = await _fixture.Keys.ListVersionsAsync(key.KeyId, CancellationToken.None);

        // Assert
        Assert.Equal(Enumerable.Range(1, 11), versions.Select(v => v.Version));
        Assert.All(versions, v => Assert.Equal(key.KeyId, v.KeyId));
    }

    [Fact]
    public async Task ListVersionsAsync_UnknownKey_ReturnsEmpty()
    {
        // Act
        var versions = await _fixture.Keys.ListVersionsAsync(Guid.NewGuid().ToString("D"), CancellationToken.None);

        // Assert
        Assert.Empty(versions);
    }

    [Fact]
    public async Task UpdateKeyAsync_CurrentETag_ReplacesMetadataAndReturnsNewETag()
    {
        // Arrange
        var key = Records.Key(description: "before");
        var created = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        var updated = await _fixture.Keys.UpdateKeyAsync(
            created with { State = KeyState.Disabled, Description = null, UpdatedAt = Records.Created.AddHours(1) }, CancellationToken.None);

        // Assert
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(KeyState.Disabled, read.State);
        Assert.Null(read.Description);
        Assert.Equal(Records.Created.AddHours(1), read.UpdatedAt);
        Assert.Equal(read.ETag, updated.ETag);
        Assert.NotEqual(created.ETag, updated.ETag);
    }

    [Fact]
    public async Task UpdateKeyAsync_StaleETag_ThrowsConcurrentModificationAndKeepsRow()
    {
        // Arrange
        var key = Records.Key(description: "original");
        var stale = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        var current = await _fixture.Keys.UpdateKeyAsync(stale with { Description = "first writer" }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Keys.UpdateKeyAsync(stale with { State = KeyState.Disabled, Description = "second writer" }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal("first writer", read.Description);
        Assert.Equal(KeyState.Enabled, read.State);
        Assert.Equal(current.ETag, read.ETag);
    }

    [Fact]
    public async Task UpdateVersionAsync_CurrentETag_ChangesStateAndKeepsMaterial()
    {
        // Arrange
        var key = Records.Key();
        var material = Records.AllByteValues();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1, material), CancellationToken.None);
        var version = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);
        Assert.NotNull(version);
        var changedAt = Records.Created.AddDays(1);

        // Act: even a record carrying other bytes must not rewrite the stored material.
        var updated = await _fixture.Keys.UpdateVersionAsync(
            version with { State = KeyVersionState.Disabled, StateChangedAt = changedAt, WrappedMaterial = [1, 2, 3] }, CancellationToken.None);

        // Assert
        var read = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(KeyVersionState.Disabled, read.State);
        Assert.Equal(changedAt, read.StateChangedAt);
        Assert.Equal(material, read.WrappedMaterial);
        Assert.Equal(read.ETag, updated.ETag);
    }

    [Fact]
    public async Task UpdateVersionAsync_StaleETag_ThrowsConcurrentModificationAndKeepsRow()
    {
        // Arrange
        var key = Records.Key();
        await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        var stale = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);
        Assert.NotNull(stale);
        var current = await _fixture.Keys.UpdateVersionAsync(stale with { State = KeyVersionState.Disabled }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Keys.UpdateVersionAsync(stale with { State = KeyVersionState.Enabled }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var read = await _fixture.Keys.GetVersionAsync(key.KeyId, 1, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(KeyVersionState.Disabled, read.State);
        Assert.Equal(current.ETag, read.ETag);
    }

    [Fact]
    public async Task AddVersionAsync_StaleETag_ThrowsConcurrentModificationAndWritesNothing()
    {
        // Arrange
        var key = Records.Key();
        var stale = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        await _fixture.Keys.UpdateKeyAsync(stale with { Description = "touched" }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Keys.AddVersionAsync(
            stale with { PrimaryVersion = 2, LatestVersion = 2 }, Records.Version(key.KeyId, 2), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(1, read.PrimaryVersion);
        Assert.Null(await _fixture.Keys.GetVersionAsync(key.KeyId, 2, CancellationToken.None));
    }

    [Fact]
    public async Task AddVersionAsync_VersionRowExists_ThrowsConcurrentModificationAndLeavesKeyUnchanged()
    {
        // Arrange: a current ETag but a version number another writer already used; the key replace in the
        // same transaction must not apply on its own.
        var key = Records.Key();
        var created = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Keys.AddVersionAsync(
            created with { Description = "should not stick" }, Records.Version(key.KeyId, 1), CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Null(read.Description);
        Assert.Equal(created.ETag, read.ETag);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    public async Task AddVersionAsync_ConcurrentRotationsFromSameRecord_ExactlyOneSucceeds(int writers)
    {
        // Arrange: every writer read the same key and prepared its own version 2, as racing rotations do.
        var key = Records.Key();
        var start = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
        var candidates = Enumerable.Range(0, writers).Select(_ => Records.Version(key.KeyId, 2)).ToArray();

        // Act
        var attempts = candidates.Select(v => Task.Run(async () =>
        {
            try
            {
                await _fixture.Keys.AddVersionAsync(start with { PrimaryVersion = 2, LatestVersion = 2 }, v, CancellationToken.None);
                return (Version: v, Error: (KmsException?)null);
            }
            catch (KmsException e)
            {
                return (Version: v, Error: e);
            }
        })).ToArray();
        var results = await Task.WhenAll(attempts);

        // Assert
        var winner = Assert.Single(results, r => r.Error is null);
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Equal(KmsErrorCodes.ConcurrentModification, r.Error!.Code));
        var read = await _fixture.Keys.GetKeyAsync(key.KeyId, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(2, read.PrimaryVersion);
        Assert.Equal(2, read.LatestVersion);
        var versions = await _fixture.Keys.ListVersionsAsync(key.KeyId, CancellationToken.None);
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(winner.Version.WrappedMaterial, versions[1].WrappedMaterial);
    }

    [Fact]
    public async Task UpdateKeyAsync_RecordWithoutETag_ThrowsArgumentException()
    {
        // Arrange
        var key = Records.Key();

        // Act / Assert
        await Assert.ThrowsAsync<ArgumentException>(() => _fixture.Keys.UpdateKeyAsync(key, CancellationToken.None));
    }

    [Fact]
    public async Task CheckHealthAsync_AzuriteUp_ReportsHealthy()
    {
        // Act
        var health = await _fixture.Keys.CheckHealthAsync(CancellationToken.None);

        // Assert
        Assert.True(health.Healthy);
        Assert.Equal("ok", health.Status);
    }
}
