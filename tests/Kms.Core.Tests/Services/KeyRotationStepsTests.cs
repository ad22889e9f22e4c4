using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Services;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kms.Core.Tests.Services;

/// <summary>The staged rotation's steps: each does its work once, however often it is re-run, and rollback restores the key.</summary>
public sealed class KeyRotationStepsTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly Actor Operator = new("op-1", "req-1");

    [Fact]
    public async Task CreateStandby_MakesANonPrimaryVersion_AndARerunFindsTheSameOne()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var steps = Steps(f);

        var first = await steps.CreateStandbyAsync(keyId, "rotation-x", Operator, None);
        var again = await steps.CreateStandbyAsync(keyId, "rotation-x", Operator, None);

        Assert.Equal(new StandbyVersion(2, 1), first);
        Assert.Equal(first, again);
        var key = (await f.Store.GetKeyAsync(keyId, None))!;
        Assert.Equal(1, key.PrimaryVersion);
        Assert.Equal(2, key.LatestVersion);
        Assert.Equal("rotation-x", (await f.Store.GetVersionAsync(keyId, 2, None))!.Operation);
        var created = Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyVersionCreated);
        Assert.Contains("\"principal\":\"op-1\"", created.Data, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeySpec.Aes256)]
    [InlineData(KeySpec.EcP256)]
    [InlineData(KeySpec.Rsa2048)]
    [InlineData(KeySpec.HmacSha256)]
    public async Task Probe_PassesForAHealthyVersion(KeySpec spec)
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(spec);
        var steps = Steps(f);
        var standby = await steps.CreateStandbyAsync(keyId, "op", Operator, None);

        var result = await steps.ProbeAsync(keyId, standby.Version, None);

        Assert.True(result.Passed, result.Reason);
    }

    [Fact]
    public async Task Probe_FailsForADisabledVersion()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.SetVersionStateAsync(keyId, 1, KeyVersionState.Disabled, None);

        var result = await Steps(f).ProbeAsync(keyId, 1, None);

        Assert.False(result.Passed);
        Assert.Contains("DISABLED", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_MakesTheStandbyPrimary_Once()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var steps = Steps(f);
        var standby = await steps.CreateStandbyAsync(keyId, "op", Operator, None);

        await steps.PromoteAsync(keyId, standby, Operator, None);
        await steps.PromoteAsync(keyId, standby, Operator, None);

        Assert.Equal(2, (await f.Store.GetKeyAsync(keyId, None))!.PrimaryVersion);
        Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyRotated);
    }

    [Fact]
    public async Task Promote_WhenThePrimaryMovedMeanwhile_RefusesWithOperationConflict()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var steps = Steps(f);
        var standby = await steps.CreateStandbyAsync(keyId, "op", Operator, None);
        await f.Keys.RotateAsync(keyId, None);

        var e = await Assert.ThrowsAsync<KmsException>(() => steps.PromoteAsync(keyId, standby, Operator, None));

        Assert.Equal(KmsErrorCodes.OperationConflict, e.Code);
        Assert.Equal(3, (await f.Store.GetKeyAsync(keyId, None))!.PrimaryVersion);
    }

    [Fact]
    public async Task RollBack_RestoresThePrimary_DisablesTheStandby_AndSaysWhy()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var steps = Steps(f);
        var standby = await steps.CreateStandbyAsync(keyId, "op", Operator, None);
        await steps.PromoteAsync(keyId, standby, Operator, None);

        await steps.RollBackAsync(keyId, standby, "canary probe failed", Operator, None);
        await steps.RollBackAsync(keyId, standby, "canary probe failed", Operator, None);

        Assert.Equal(1, (await f.Store.GetKeyAsync(keyId, None))!.PrimaryVersion);
        Assert.Equal(KeyVersionState.Disabled, (await f.Store.GetVersionAsync(keyId, 2, None))!.State);
        var failed = Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyRotationFailed);
        Assert.Equal($"/keys/{keyId}/versions/2", failed.Subject);
        Assert.Contains("canary probe failed", failed.Data, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RotationPeriod_SetsTheNextRotation_AndEveryRotationMovesItAPeriodOn()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var steps = Steps(f);

        var withPolicy = await f.Keys.SetRotationPeriodAsync(keyId, 30, None);
        Assert.Equal(f.Time.GetUtcNow().AddDays(30), withPolicy.NextRotationAt);

        f.Time.Advance(TimeSpan.FromDays(31));
        var standby = await steps.CreateStandbyAsync(keyId, "op", Operator, None);
        await steps.PromoteAsync(keyId, standby, Operator, None);
        Assert.Equal(f.Time.GetUtcNow().AddDays(30), (await f.Store.GetKeyAsync(keyId, None))!.NextRotationAt);

        f.Time.Advance(TimeSpan.FromDays(2));
        await f.Keys.RotateAsync(keyId, None);
        Assert.Equal(f.Time.GetUtcNow().AddDays(30), (await f.Store.GetKeyAsync(keyId, None))!.NextRotationAt);

        var off = await f.Keys.SetRotationPeriodAsync(keyId, null, None);
        Assert.Null(off.RotationPeriodDays);
        Assert.Null(off.NextRotationAt);
    }

    private static KeyRotationSteps Steps(ServiceFixture f) =>
        new(f.Store, f.Hsm, new KeyVersionProbe(f.Hsm), f.Catalog, f.Events, f.Time, NullLogger<KeyRotationSteps>.Instance);
}
