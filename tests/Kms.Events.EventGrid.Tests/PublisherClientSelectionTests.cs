using Azure.Core;

namespace Kms.Events.EventGrid.Tests;

/// <summary>
/// Which credential the topic client is built with: the topic key wins, else the token credential (managed identity
/// in Azure), and a missing endpoint stops the host naming the setting. No request is sent.
/// </summary>
public sealed class PublisherClientSelectionTests
{
    private int _credentialsCreated;

    [Fact]
    public void CreateClient_WithTopicKey_DoesNotCreateTheCredential()
    {
        // Arrange
        var options = new EventGridOptions { TopicEndpoint = new Uri("https://topic.westeurope-1.eventgrid.azure.net/api/events"), TopicKey = "a-key" };

        // Act
        var client = EventGridEventPublisher.CreateClient(options, Credential);

        // Assert
        Assert.NotNull(client);
        Assert.Equal(0, _credentialsCreated);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void CreateClient_WithoutTopicKey_UsesTheCredential(string? key)
    {
        // Arrange
        var options = new EventGridOptions { TopicEndpoint = new Uri("https://topic.westeurope-1.eventgrid.azure.net/api/events"), TopicKey = key };

        // Act
        EventGridEventPublisher.CreateClient(options, Credential);

        // Assert
        Assert.Equal(1, _credentialsCreated);
    }

    [Fact]
    public void CreateClient_WithoutEndpoint_ThrowsNamingTheSetting()
    {
        // Arrange
        var options = new EventGridOptions();

        // Act
        var error = Assert.Throws<ArgumentException>(() => EventGridEventPublisher.CreateClient(options, Credential));

        // Assert
        Assert.Contains("Kms:Events:TopicEndpoint", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _credentialsCreated);
    }

    private TokenCredential Credential()
    {
        _credentialsCreated++;
        return new NoTokenCredential();
    }

    private sealed class NoTokenCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No token in unit tests.");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("No token in unit tests.");
    }
}
