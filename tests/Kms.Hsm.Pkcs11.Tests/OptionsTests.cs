using Kms.Core.Ports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kms.Hsm.Pkcs11.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_WithRequiredValues_AreValid()
    {
        var options = Valid();

        options.Validate();

        Assert.Equal("/usr/lib/softhsm/libsofthsm2.so", options.LibraryPath);
        Assert.Equal("kms-root-1", options.RootKeyLabel);
        Assert.Equal(2 * Environment.ProcessorCount, options.MaxSessions);
        Assert.Equal(10_000, options.HandleCacheSize);
        Assert.Equal(TimeSpan.FromMinutes(15), options.HandleCacheTtl);
    }

    [Theory]
    [InlineData(nameof(Pkcs11HsmOptions.TokenLabel))]
    [InlineData(nameof(Pkcs11HsmOptions.UserPin))]
    [InlineData(nameof(Pkcs11HsmOptions.LibraryPath))]
    [InlineData(nameof(Pkcs11HsmOptions.RootKeyLabel))]
    public void Validate_MissingRequiredValue_ThrowsNamingTheSetting(string setting)
    {
        var options = Valid();
        typeof(Pkcs11HsmOptions).GetProperty(setting)!.SetValue(options, " ");

        var ex = Assert.ThrowsAny<ArgumentException>(options.Validate);

        Assert.Contains($"Kms:Hsm:{setting}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OutOfRangeValues_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(Valid(o => o.MaxSessions = 0).Validate);
        Assert.Throws<ArgumentOutOfRangeException>(Valid(o => o.HandleCacheSize = 0).Validate);
        Assert.Throws<ArgumentOutOfRangeException>(Valid(o => o.HandleCacheTtl = TimeSpan.Zero).Validate);
        Assert.Throws<ArgumentOutOfRangeException>(Valid(o => o.SessionWaitTimeout = TimeSpan.Zero).Validate);
        Assert.Throws<ArgumentException>(Valid(o => o.TokenLabel = new string('x', 33)).Validate);
    }

    [Fact]
    public void Constructor_InvalidOptions_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => new Pkcs11Hsm(new Pkcs11HsmOptions()));
        Assert.ThrowsAny<ArgumentException>(() => new Pkcs11Hsm(Options.Create(new Pkcs11HsmOptions { TokenLabel = "t" })));
    }

    [Fact]
    public void Constructor_OptionsChangedAfterwards_KeepsTheValuesItWasGiven()
    {
        var options = Valid();
        using var hsm = new Pkcs11Hsm(options);

        // Nothing connects until first use; a later edit of the caller's object must not reach the connector.
        options.TokenLabel = "";
        var health = hsm.CheckHealth();

        Assert.Contains("'kms'", health.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void AddPkcs11Hsm_ConfigurationSection_BindsEveryKey()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kms:Hsm:LibraryPath"] = "/opt/hsm/lib.so",
            ["Kms:Hsm:TokenLabel"] = "prod",
            ["Kms:Hsm:UserPin"] = "secret",
            ["Kms:Hsm:RootKeyLabel"] = "root-7",
            ["Kms:Hsm:MaxSessions"] = "5",
            ["Kms:Hsm:HandleCacheSize"] = "77",
            ["Kms:Hsm:HandleCacheTtl"] = "00:02:00",
            ["Kms:Hsm:SessionWaitTimeout"] = "00:00:03",
        }).Build();
        using var provider = new ServiceCollection().AddPkcs11Hsm(configuration.GetSection(Pkcs11HsmOptions.SectionName)).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<Pkcs11HsmOptions>>().Value;

        Assert.Equal("/opt/hsm/lib.so", options.LibraryPath);
        Assert.Equal("prod", options.TokenLabel);
        Assert.Equal("secret", options.UserPin);
        Assert.Equal("root-7", options.RootKeyLabel);
        Assert.Equal(5, options.MaxSessions);
        Assert.Equal(77, options.HandleCacheSize);
        Assert.Equal(TimeSpan.FromMinutes(2), options.HandleCacheTtl);
        Assert.Equal(TimeSpan.FromSeconds(3), options.SessionWaitTimeout);
        Assert.Same(provider.GetRequiredService<Pkcs11Hsm>(), provider.GetRequiredService<IHsm>());
    }

    [Fact]
    public void AddPkcs11Hsm_InvalidOptions_FailsValidation()
    {
        using var provider = new ServiceCollection().AddPkcs11Hsm(o => o.TokenLabel = "only-a-label").BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<Pkcs11HsmOptions>>().Value);

        Assert.Contains("UserPin", ex.Message, StringComparison.Ordinal);
    }

    private static Pkcs11HsmOptions Valid(Action<Pkcs11HsmOptions>? change = null)
    {
        var options = new Pkcs11HsmOptions { TokenLabel = "kms", UserPin = "1234" };
        change?.Invoke(options);
        return options;
    }
}

[Collection(SoftHsmCollection.Name)]
public sealed class ServiceRegistrationTests
{
    private readonly SoftHsmFixture _fixture;

    public ServiceRegistrationTests(SoftHsmFixture fixture) => _fixture = fixture;

    [Fact]
    public void AddPkcs11Hsm_LocalStackConfiguration_ResolvesAWorkingHsm()
    {
        var configuration = Kms.Testing.LocalStack.Configuration.GetSection(Pkcs11HsmOptions.SectionName);
        using var provider = new ServiceCollection().AddPkcs11Hsm(configuration).BuildServiceProvider();

        var hsm = provider.GetRequiredService<IHsm>();

        Assert.True(hsm.CheckHealth().Healthy);
        Assert.Equal(16, hsm.GenerateRandom(16).Length);
        Assert.Equal(_fixture.Options.TokenLabel, provider.GetRequiredService<IOptions<Pkcs11HsmOptions>>().Value.TokenLabel);
    }
}
