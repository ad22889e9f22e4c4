using Kms.Client.AspNetCore;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Kms.Client.Tests.Listener;

public sealed class KmsEventsRegistrationTests
{
    [Fact]
    public async Task MapKmsEvents_WithoutAddKmsEvents_ThrowsNamingTheMissingCall()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapKmsEvents());

        Assert.Contains("AddKmsEvents", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("short-secret", null, "SharedSecrets")]
    [InlineData(null, 0, "AllowedRate")]
    public async Task MapKmsEvents_InvalidOptions_FailsNamingTheSetting(string? secret, int? rate, string setting)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddKmsEvents(o =>
        {
            if (secret is not null)
            {
                o.SharedSecrets.Add(secret);
            }

            o.AllowedRate = rate;
        });
        await using var app = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => app.MapKmsEvents());

        Assert.Contains(setting, error.Message, StringComparison.Ordinal);
    }
}
