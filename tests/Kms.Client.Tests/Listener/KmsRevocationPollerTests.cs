using Kms.Client.AspNetCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Kms.Client.Tests.Listener;

public sealed class KmsRevocationPollerTests
{
    // Only bounds a wait for something that should happen at once; never a measured duration.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly FakeTimeProvider _time = new();
    private readonly FakeKeyStateSource _source = new();
    private readonly RecordingInvalidator _first = new();
    private readonly RecordingInvalidator _second = new();

    [Fact]
    public async Task PollOnce_FirstSightOfUnusableVersions_EvictsEachOnEveryInvalidator()
    {
        _source.Set("key-a", "ENABLED", (1, "REVOKED"), (2, "DISABLED"), (3, "ENABLED"));
        using var poller = CreatePoller("key-a");

        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", 1), new Eviction("key-a", 2)], _first.Calls);
        Assert.Equal([new Eviction("key-a", 1), new Eviction("key-a", 2)], _second.Calls);
    }

    [Fact]
    public async Task PollOnce_StateUnchanged_DoesNotEvictAgain()
    {
        _source.Set("key-a", "ENABLED", (1, "DISABLED"), (2, "ENABLED"));
        using var poller = CreatePoller("key-a");

        await poller.PollOnceAsync(CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", 1)], _first.Calls);
    }

    [Fact]
    public async Task PollOnce_VersionDisabledBetweenPolls_EvictsItOnTheNextPoll()
    {
        _source.Set("key-a", "ENABLED", (1, "ENABLED"), (2, "ENABLED"));
        using var poller = CreatePoller("key-a");
        await poller.PollOnceAsync(CancellationToken.None);
        Assert.Empty(_first.Calls);

        _source.Set("key-a", "ENABLED", (1, "ENABLED"), (2, "REVOKED"));
        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", 2)], _first.Calls);
    }

    [Fact]
    public async Task PollOnce_VersionReEnabledThenDisabledAgain_EvictsAgain()
    {
        using var poller = CreatePoller("key-a");
        _source.Set("key-a", "ENABLED", (1, "DISABLED"));
        await poller.PollOnceAsync(CancellationToken.None);
        _source.Set("key-a", "ENABLED", (1, "ENABLED"));
        await poller.PollOnceAsync(CancellationToken.None);
        _source.Set("key-a", "ENABLED", (1, "DISABLED"));

        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", 1), new Eviction("key-a", 1)], _first.Calls);
    }

    [Theory]
    [InlineData("DISABLED")]
    [InlineData("PENDING_DELETION")]
    [InlineData("DESTROYED")]
    [InlineData("SOME_FUTURE_STATE")]
    public async Task PollOnce_KeyNotEnabled_EvictsTheKeyOnce(string keyState)
    {
        _source.Set("key-a", "ENABLED", (1, "ENABLED"));
        using var poller = CreatePoller("key-a");
        await poller.PollOnceAsync(CancellationToken.None);

        _source.Set("key-a", keyState, (1, "ENABLED"));
        await poller.PollOnceAsync(CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", null)], _first.Calls);
    }

    [Fact]
    public async Task PollOnce_KeyNotFound_EvictsTheKey()
    {
        _source.SetNotFound("key-gone");
        using var poller = CreatePoller("key-gone");

        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-gone", null)], _first.Calls);
    }

    [Fact]
    public async Task PollOnce_SourceFailsForOneKey_OtherKeysArePolled_FailedKeyRetriedNextTime()
    {
        _source.SetFailing("key-a");
        _source.Set("key-b", "DISABLED");
        using var poller = CreatePoller("key-a", "key-b");

        await poller.PollOnceAsync(CancellationToken.None);
        Assert.Equal([new Eviction("key-b", null)], _first.Calls);

        _source.Set("key-a", "ENABLED", (7, "REVOKED"));
        await poller.PollOnceAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-b", null), new Eviction("key-a", 7)], _first.Calls);
    }

    [Fact]
    public async Task PollOnce_InvalidatorFails_EvictionRetriedOnTheNextPoll()
    {
        _source.Set("key-a", "ENABLED", (1, "REVOKED"));
        _first.FailNext = 1;
        using var poller = CreatePoller("key-a");

        await poller.PollOnceAsync(CancellationToken.None);
        await poller.PollOnceAsync(CancellationToken.None);

        // The second cache was evicted despite the first one failing, and the failed round was repeated.
        Assert.Equal([new Eviction("key-a", 1), new Eviction("key-a", 1)], _first.Calls);
        Assert.Equal([new Eviction("key-a", 1), new Eviction("key-a", 1)], _second.Calls);
    }

    [Fact]
    public async Task PollOnce_SourceHangs_RequestTimeoutEndsTheCallAndTheNextKeyIsPolled()
    {
        _source.SetHanging("key-slow");
        _source.Set("key-b", "ENABLED", (2, "DISABLED"));
        using var poller = CreatePoller(o => o.RequestTimeout = TimeSpan.FromSeconds(10), "key-slow", "key-b");

        var pass = poller.PollOnceAsync(CancellationToken.None);
        Assert.True(await _source.Called.WaitAsync(Patience));
        _time.Advance(TimeSpan.FromSeconds(10));
        await pass.WaitAsync(Patience);

        Assert.Equal([new Eviction("key-b", 2)], _first.Calls);
    }

    [Fact]
    public async Task Run_PollsAtStartThenEveryInterval_SurvivingErrors()
    {
        _source.SetFailing("key-a");
        using var poller = CreatePoller("key-a");

        await poller.StartAsync(CancellationToken.None);
        Assert.True(await _source.Called.WaitAsync(Patience));
        _source.Set("key-a", "ENABLED", (1, "ENABLED"), (2, "REVOKED"));
        _time.Advance(Interval);
        Assert.True(await _source.Called.WaitAsync(Patience));
        await WaitUntilAsync(() => _first.Calls.Count == 1);
        _time.Advance(Interval);
        Assert.True(await _source.Called.WaitAsync(Patience));
        await poller.StopAsync(CancellationToken.None);

        Assert.Equal([new Eviction("key-a", 2)], _first.Calls);
        Assert.Equal(3, _source.Calls);
        Assert.True(poller.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task AddKmsRevocationPolling_RunsThePollerInTheHost()
    {
        _source.Set("key-a", "ENABLED", (1, "REVOKED"));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddSingleton<IKmsKeyStateSource>(_source);
        builder.Services.AddSingleton<Kms.Client.IKmsKeyCacheInvalidator>(_first);
        builder.Services.AddKmsRevocationPolling(o => o.KeyIds.Add("key-a"));
        using var host = builder.Build();

        await host.StartAsync();
        await WaitUntilAsync(() => !_first.Calls.IsEmpty);
        await host.StopAsync();

        Assert.Equal([new Eviction("key-a", 1)], _first.Calls);
    }

    [Theory]
    [InlineData(0, 30)]
    [InlineData(60, 0)]
    public void AddKmsRevocationPolling_InvalidOptions_FailWithTheSettingNamed(int intervalSeconds, int timeoutSeconds)
    {
        var services = new ServiceCollection();
        services.AddKmsRevocationPolling(o =>
        {
            o.Interval = TimeSpan.FromSeconds(intervalSeconds);
            o.RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds);
            o.KeyIds.Add("key-a");
        });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KmsRevocationPollingOptions>>().Value);

        Assert.Contains(intervalSeconds == 0 ? "Interval" : "RequestTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddKmsRevocationPolling_NoKeys_FailsValidation()
    {
        var services = new ServiceCollection();
        services.AddKmsRevocationPolling(_ => { });
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<KmsRevocationPollingOptions>>().Value);

        Assert.Contains("KeyIds", error.Message, StringComparison.Ordinal);
    }

    private KmsRevocationPoller CreatePoller(params string[] keyIds) => CreatePoller(_ => { }, keyIds);

    private KmsRevocationPoller CreatePoller(Action<KmsRevocationPollingOptions> configure, params string[] keyIds)
    {
        var options = new KmsRevocationPollingOptions { Interval = Interval };
        foreach (var keyId in keyIds)
        {
            options.KeyIds.Add(keyId);
        }

        configure(options);
        return new KmsRevocationPoller(_source, [_first, _second], Options.Create(options), _time, NullLogger<KmsRevocationPoller>.Instance);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not become true in time.");
            await Task.Delay(20);
        }
    }
}
