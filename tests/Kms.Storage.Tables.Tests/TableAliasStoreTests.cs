using Kms.Core;
using Kms.Core.Errors;
using Kms.Testing;

namespace Kms.Storage.Tables.Tests;

public sealed class TableAliasStoreTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableAliasStoreTests(StoreFixture fixture) => _fixture = fixture;

    private static AliasRecord NewAlias(string? keyId = null) =>
        new(LocalStack.UniqueName("alias-"), keyId ?? Guid.NewGuid().ToString("D"), Records.Created, Records.Created);

    [Fact]
    public async Task CreateAliasAsync_NewName_RoundTrips()
    {
        // Arrange
        var alias = NewAlias();

        // Act
        var created = await _fixture.Aliases.CreateAliasAsync(alias, CancellationToken.None);
        var read = await _fixture.Aliases.GetAliasAsync(alias.Name, CancellationToken.None);

        // Assert
        Assert.False(string.IsNullOrEmpty(created.ETag));
        Assert.Equal(alias with { ETag = created.ETag }, read);
    }

    [Fact]
    public async Task CreateAliasAsync_NameTaken_ThrowsAliasAlreadyExists()
    {
        // Arrange
        var alias = NewAlias();
        await _fixture.Aliases.CreateAliasAsync(alias, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Aliases.CreateAliasAsync(alias with { KeyId = Guid.NewGuid().ToString("D") }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.AliasAlreadyExists, error.Code);
        var read = await _fixture.Aliases.GetAliasAsync(alias.Name, CancellationToken.None);
        Assert.Equal(alias.KeyId, read?.KeyId);
    }

    [Fact]
    public async Task GetAliasAsync_UnknownName_ReturnsNull()
    {
        // Act
        var read = await _fixture.Aliases.GetAliasAsync("no-such-alias", CancellationToken.None);

        // Assert
        Assert.Null(read);
    }

    [Fact]
    public async Task UpdateAliasAsync_CurrentETag_RepointsAlias()
    {
        // Arrange
        var created = await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);
        var newKeyId = Guid.NewGuid().ToString("D");

        // Act
        var updated = await _fixture.Aliases.UpdateAliasAsync(
            created with { KeyId = newKeyId, UpdatedAt = Records.Created.AddHours(1) }, CancellationToken.None);

        // Assert
        var read = await _fixture.Aliases.GetAliasAsync(created.Name, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(newKeyId, read.KeyId);
        Assert.Equal(Records.Created.AddHours(1), read.UpdatedAt);
        Assert.Equal(read.ETag, updated.ETag);
    }

    [Fact]
    public async Task UpdateAliasAsync_StaleETag_ThrowsConcurrentModificationAndKeepsRow()
    {
        // Arrange
        var stale = await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);
        var firstKeyId = Guid.NewGuid().ToString("D");
        await _fixture.Aliases.UpdateAliasAsync(stale with { KeyId = firstKeyId }, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Aliases.UpdateAliasAsync(stale with { KeyId = Guid.NewGuid().ToString("D") }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        var read = await _fixture.Aliases.GetAliasAsync(stale.Name, CancellationToken.None);
        Assert.Equal(firstKeyId, read?.KeyId);
    }

    [Fact]
    public async Task UpdateAliasAsync_AliasDeleted_ThrowsConcurrentModification()
    {
        // Arrange
        var created = await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);
        await _fixture.Aliases.DeleteAliasAsync(created.Name, CancellationToken.None);

        // Act
        var error = await Assert.ThrowsAsync<KmsException>(
            () => _fixture.Aliases.UpdateAliasAsync(created with { KeyId = Guid.NewGuid().ToString("D") }, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ConcurrentModification, error.Code);
        Assert.Null(await _fixture.Aliases.GetAliasAsync(created.Name, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAliasAsync_ExistingAlias_ReturnsTrueAndRemovesIt()
    {
        // Arrange
        var created = await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);

        // Act
        var deleted = await _fixture.Aliases.DeleteAliasAsync(created.Name, CancellationToken.None);

        // Assert
        Assert.True(deleted);
        Assert.Null(await _fixture.Aliases.GetAliasAsync(created.Name, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteAliasAsync_MissingAlias_ReturnsFalse()
    {
        // Act
        var deleted = await _fixture.Aliases.DeleteAliasAsync(LocalStack.UniqueName("missing-"), CancellationToken.None);

        // Assert
        Assert.False(deleted);
    }

    [Fact]
    public async Task ListAliasesForKeyAsync_KeyWithTwoAliases_ReturnsOnlyThose()
    {
        // Arrange
        var keyId = Guid.NewGuid().ToString("D");
        var first = await _fixture.Aliases.CreateAliasAsync(NewAlias(keyId), CancellationToken.None);
        var second = await _fixture.Aliases.CreateAliasAsync(NewAlias(keyId), CancellationToken.None);
        await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);

        // Act
        var aliases = await _fixture.Aliases.ListAliasesForKeyAsync(keyId, CancellationToken.None);

        // Assert
        Assert.Equal(new[] { first.Name, second.Name }.Order(StringComparer.Ordinal), aliases.Select(a => a.Name).Order(StringComparer.Ordinal));
        Assert.All(aliases, a => Assert.Equal(keyId, a.KeyId));
    }

    [Fact]
    public async Task ListAliasesForKeyAsync_KeyIdWithQuote_IsQuotedSafely()
    {
        // Arrange: a filter built by string concatenation would break (or widen) on the quote.
        await _fixture.Aliases.CreateAliasAsync(NewAlias(), CancellationToken.None);

        // Act
        var aliases = await _fixture.Aliases.ListAliasesForKeyAsync("x' or KeyId ne 'x", CancellationToken.None);

        // Assert
        Assert.Empty(aliases);
    }
}
