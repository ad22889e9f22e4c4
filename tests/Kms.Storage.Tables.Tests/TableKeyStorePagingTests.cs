using Kms.Core.Errors;

namespace Kms.Storage.Tables.Tests;

/// <summary>Paging needs tables holding only the keys the test made: a fixture of its own.</summary>
public sealed class TableKeyStorePagingTests : IClassFixture<StoreFixture>
{
    private readonly StoreFixture _fixture;

    public TableKeyStorePagingTests(StoreFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task ListKeysAsync_MoreThanTwoPages_ReturnsEveryKeyExactlyOnce()
    {
        // Arrange: 7 keys with 2 versions each (version rows must not show up as keys), pages of 3.
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var key = Records.Key();
            var stored = await _fixture.Keys.CreateKeyAsync(key, Records.Version(key.KeyId, 1), CancellationToken.None);
            await _fixture.Keys.AddVersionAsync(stored with { PrimaryVersion = 2, LatestVersion = 2 }, Records.Version(key.KeyId, 2), CancellationToken.None);
            created.Add(key.KeyId);
        }

        // Act
        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await _fixture.Keys.ListKeysAsync(3, token, CancellationToken.None);
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(k => k.KeyId));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        // Assert
        Assert.True(pages >= 3, $"expected at least 3 pages, got {pages}");
        Assert.Equal(created.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("not a token!")]
    [InlineData("aGVsbG8gd29ybGQ")] // base64url of "hello world": decodes, but was not issued by the store
    [InlineData("////")]
    public async Task ListKeysAsync_InvalidContinuationToken_ThrowsValidationFailed(string token)
    {
        // Act
        var error = await Assert.ThrowsAsync<KmsException>(() => _fixture.Keys.ListKeysAsync(3, token, CancellationToken.None));

        // Assert
        Assert.Equal(KmsErrorCodes.ValidationFailed, error.Code);
        Assert.Equal("The continuation token is not valid.", error.Message);
    }
}
