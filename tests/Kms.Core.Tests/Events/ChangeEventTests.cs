using System.Text.Json;
using Kms.Core.Events;
using Kms.Core.Services;
using Kms.Core.Tests.Services;

namespace Kms.Core.Tests.Events;

/// <summary>Which events each state change writes, with what subject and data; none for a change that changes nothing.</summary>
public sealed class ChangeEventTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task CreateKey_WritesKeyCreated_WithCallerAndRequest()
    {
        var f = new ServiceFixture();

        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        var e = Assert.Single(f.Store.Outbox);
        Assert.Equal(KmsEventTypes.KeyCreated, e.Type);
        Assert.Equal("/keys/" + keyId, e.Subject);
        Assert.True(Guid.TryParse(e.Id, out _));
        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(keyId, data.GetProperty("keyId").GetString());
        Assert.Equal("AES_256", data.GetProperty("keySpec").GetString());
        Assert.Equal("ENABLED", data.GetProperty("keyState").GetString());
        Assert.Equal(f.Access.Principal, data.GetProperty("principal").GetString());
        Assert.Equal(f.Access.RequestId, data.GetProperty("requestId").GetString());
    }

    [Fact]
    public async Task DisableThenEnable_WritesKeyDisabledThenKeyEnabled_NothingForRepeats()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        await f.Keys.SetKeyStateAsync(keyId, KeyState.Disabled, None);
        await f.Keys.SetKeyStateAsync(keyId, KeyState.Disabled, None);
        await f.Keys.SetKeyStateAsync(keyId, KeyState.Enabled, None);

        Assert.Equal([KmsEventTypes.KeyCreated, KmsEventTypes.KeyDisabled, KmsEventTypes.KeyEnabled], f.Store.Outbox.Select(e => e.Type));
        Assert.Equal("DISABLED", JsonDocument.Parse(f.Store.Outbox[1].Data).RootElement.GetProperty("keyState").GetString());
    }

    [Fact]
    public async Task Rotate_WritesVersionCreatedThenKeyRotated()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.EcP256);

        await f.Keys.RotateAsync(keyId, None);

        var created = f.Store.Outbox[1];
        var rotated = f.Store.Outbox[2];
        Assert.Equal(KmsEventTypes.KeyVersionCreated, created.Type);
        Assert.Equal($"/keys/{keyId}/versions/2", created.Subject);
        Assert.Equal(KmsEventTypes.KeyRotated, rotated.Type);
        var data = JsonDocument.Parse(rotated.Data).RootElement;
        Assert.Equal(1, data.GetProperty("previousPrimaryVersion").GetInt32());
        Assert.Equal(2, data.GetProperty("primaryVersion").GetInt32());
    }

    [Fact]
    public async Task VersionDisable_WritesKeyVersionDisabled_ForThatVersion()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.RotateAsync(keyId, None);

        await f.Keys.SetVersionStateAsync(keyId, 1, KeyVersionState.Disabled, None);
        await f.Keys.SetVersionStateAsync(keyId, 1, KeyVersionState.Enabled, None);

        var disabled = f.Store.Outbox[^2];
        Assert.Equal(KmsEventTypes.KeyVersionDisabled, disabled.Type);
        Assert.Equal($"/keys/{keyId}/versions/1", disabled.Subject);
        var data = JsonDocument.Parse(disabled.Data).RootElement;
        Assert.Equal(1, data.GetProperty("version").GetInt32());
        Assert.Equal("DISABLED", data.GetProperty("versionState").GetString());
        Assert.Equal(2, data.GetProperty("primaryVersion").GetInt32());
        Assert.Equal(KmsEventTypes.KeyVersionEnabled, f.Store.Outbox[^1].Type);
    }

    [Fact]
    public async Task ScheduleAndCancelDeletion_WriteTheirEvents_WithDeletionDate()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        await f.Keys.ScheduleDeletionAsync(keyId, 7, None);
        await f.Keys.CancelDeletionAsync(keyId, None);

        var scheduled = f.Store.Outbox[1];
        Assert.Equal(KmsEventTypes.KeyDeletionScheduled, scheduled.Type);
        Assert.Equal(f.Time.GetUtcNow().AddDays(7), JsonDocument.Parse(scheduled.Data).RootElement.GetProperty("deletionDate").GetDateTimeOffset());
        Assert.Equal(KmsEventTypes.KeyDeletionCanceled, f.Store.Outbox[2].Type);
    }

    [Fact]
    public async Task EventsOff_NothingWritten()
    {
        var f = new ServiceFixture(events: false);
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);

        await f.Keys.SetKeyStateAsync(keyId, KeyState.Disabled, None);
        await f.Keys.RotateAsync(keyId, None);

        Assert.Empty(f.Store.Outbox);
    }

    [Fact]
    public async Task EventData_NeverHoldsKeyMaterial()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.HmacSha256);
        await f.Keys.RotateAsync(keyId, None);

        var versions = await f.Store.ListVersionsAsync(keyId, None);
        foreach (var e in f.Store.Outbox)
        {
            foreach (var v in versions)
            {
                Assert.DoesNotContain(Convert.ToBase64String(v.WrappedMaterial), e.Data, StringComparison.Ordinal);
            }

            Assert.DoesNotContain("material", e.Data, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void PolicyChanged_CarriesTheDocumentHash_NotTheDocument()
    {
        var e = KmsEventFactory.PolicyChanged("k1", """{"statements":[]}""", "alice", "r1", DateTimeOffset.UnixEpoch);

        var data = JsonDocument.Parse(e.Data).RootElement;
        Assert.Equal(64, data.GetProperty("policySha256").GetString()!.Length);
        Assert.DoesNotContain("statements", e.Data, StringComparison.Ordinal);
        Assert.Equal("/keys/k1", e.Subject);
    }
}
