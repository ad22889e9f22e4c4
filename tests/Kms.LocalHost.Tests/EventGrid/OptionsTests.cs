using System.Net;
using Kms.LocalHost.EventGrid;
using Kms.LocalHost.EventGrid.Internal;
using Kms.Testing;
using Microsoft.Extensions.Options;

namespace Kms.LocalHost.Tests.EventGrid;

/// <summary>Settings are checked at start, and a disabled stand-in leaves no trace in the host.</summary>
public sealed class OptionsTests
{
    [Fact]
    public async Task Start_Disabled_MapsNoEndpoint()
    {
        var prefix = LocalStack.UniqueName("eg");
        await using var host = await StandInHost.StartAsync(prefix, new Dictionary<string, string?> { ["Kms:LocalEventGrid:Enabled"] = "false" });
        using var http = new HttpClient();

        using var response = await http.PostAsync(host.PublishUri, new StringContent("[]"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("AccessKey", "", "AccessKey")]
    [InlineData("Subscriptions:0:Name", "bad name", "Name")]
    [InlineData("Subscriptions:0:Endpoint", "/relative", "Endpoint")]
    [InlineData("Subscriptions:0:Endpoint", "ftp://example.com/x", "Endpoint")]
    [InlineData("MaxDeliveryAttempts", "31", "MaxDeliveryAttempts")]
    [InlineData("RetryMaxDelay", "00:00:00.100", "RetryMaxDelay")]
    [InlineData("EventTimeToLive", "2.00:00:00", "EventTimeToLive")]
    public async Task Start_BadSetting_FailsNamingIt(string key, string value, string named)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var settings = StandInHost.Settings("key-1", receiver);
        settings["Kms:LocalEventGrid:" + key] = value;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StandInHost.StartAsync(LocalStack.UniqueName("eg"), settings));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DefaultsWhenEnabledWithKey_Pass()
    {
        var options = new LocalEventGridOptions { Enabled = true, AccessKey = "k" };
        options.Subscriptions.Add(new LocalEventGridSubscription { Name = "kms-audit-1", Endpoint = new Uri("https://example.com/events") });

        options.Validate();

        Assert.Equal(30, options.MaxDeliveryAttempts);
        Assert.Equal(TimeSpan.FromHours(24), options.EventTimeToLive);
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(3, 400)]
    [InlineData(10, 1000)]
    public void DelayAfter_DoublesUpToTheCapWithJitter(int failures, int expectedMs)
    {
        var delay = RetrySchedule.DelayAfter(failures, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(1000), new Random(failures));

        Assert.InRange(delay.TotalMilliseconds, expectedMs * 0.8, Math.Min(expectedMs * 1.2, 1000));
    }

    [Theory]
    [InlineData("Kms.KeyCreated", "/keys/k1", true)]
    [InlineData("kms.keycreated", "/KEYS/k1/versions/1", true)]
    [InlineData("Kms.KeyRotated", "/keys/k1", false)]
    [InlineData("Kms.KeyCreated", "/keys/k2", false)]
    [InlineData("Kms.KeyCreated", null, false)]
    public void Matches_TypeAndSubjectFilters(string type, string? subject, bool expected)
    {
        var subscription = new LocalEventGridSubscription { Name = "s", Endpoint = new Uri("http://localhost/"), SubjectBeginsWith = "/keys/k1" };
        subscription.IncludedEventTypes.Add("Kms.KeyCreated");

        Assert.Equal(expected, subscription.Matches(type, subject));
    }
}
