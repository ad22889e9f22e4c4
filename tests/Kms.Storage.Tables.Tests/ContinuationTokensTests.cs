using Kms.Storage.Tables.Internal;

namespace Kms.Storage.Tables.Tests;

public sealed class ContinuationTokensTests
{
    [Fact]
    public void Wrap_SdkToken_RoundTripsAndIsUrlSafe()
    {
        // Arrange
        const string sdkToken = "1!48!MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAx 1!8!a2V5";

        // Act
        var wrapped = ContinuationTokens.Wrap(sdkToken);
        var ok = ContinuationTokens.TryUnwrap(wrapped!, out var unwrapped);

        // Assert
        Assert.True(ok);
        Assert.Equal(sdkToken, unwrapped);
        Assert.DoesNotContain(wrapped!, c => c is '+' or '/' or '=' or ' ');
    }

    [Fact]
    public void Wrap_NoMorePages_ReturnsNull()
    {
        // Act / Assert
        Assert.Null(ContinuationTokens.Wrap(null));
        Assert.Null(ContinuationTokens.Wrap(string.Empty));
    }

    [Theory]
    [InlineData("%%%")]
    [InlineData("a2V5")] // base64url of "key": no version tag
    [InlineData("a21zMTo")] // base64url of "kms1:": tag without a token
    public void TryUnwrap_ForeignToken_ReturnsFalse(string token)
    {
        // Act
        var ok = ContinuationTokens.TryUnwrap(token, out _);

        // Assert
        Assert.False(ok);
    }
}
