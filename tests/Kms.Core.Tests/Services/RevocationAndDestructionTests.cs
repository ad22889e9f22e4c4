using Kms.Core.Crypto;
using Kms.Core.Errors;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Core.Services;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kms.Core.Tests.Services;

/// <summary>Revocation is one-way and opens only for its own rewrap; destruction removes the material and happens once.</summary>
public sealed class RevocationAndDestructionTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly Actor Responder = new("responder", "req-9");
    private static readonly byte[] Plaintext = "payroll"u8.ToArray();

    [Fact]
    public async Task Revoke_RefusesEveryUse_CannotBeUndone_AndARerunOfTheSameOperationChangesNothing()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var ciphertext = (await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None)).Ciphertext;
        var steps = Revocation(f);

        var result = await steps.RevokeAsync(keyId, [1], "leaked", "revocation-a", Responder, None);
        var again = await steps.RevokeAsync(keyId, [1], "leaked", "revocation-a", Responder, None);

        Assert.Equal([1], result.Versions);
        Assert.Single(result.EventIds);
        Assert.Empty(again.EventIds);
        var revoked = Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyVersionRevoked);
        Assert.Contains("\"reason\":\"leaked\"", revoked.Data, StringComparison.Ordinal);
        Assert.Contains("\"operationId\":\"revocation-a\"", revoked.Data, StringComparison.Ordinal);
        var version = (await f.Store.GetVersionAsync(keyId, 1, None))!;
        Assert.Equal((KeyVersionState.Revoked, "revocation-a"), (version.State, version.RevokedBy));

        var decrypt = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.DecryptAsync(ciphertext, EncryptionContext.Empty, None));
        Assert.Equal(KmsErrorCodes.KeyVersionRevoked, decrypt.Code);
        var encrypt = await Assert.ThrowsAsync<KmsException>(() => f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None));
        Assert.Equal(KmsErrorCodes.KeyVersionRevoked, encrypt.Code);
        foreach (var state in new[] { KeyVersionState.Enabled, KeyVersionState.Disabled })
        {
            var change = await Assert.ThrowsAsync<KmsException>(() => f.Keys.SetVersionStateAsync(keyId, 1, state, None));
            Assert.Equal(KmsErrorCodes.KeyVersionRevoked, change.Code);
        }
    }

    [Theory]
    [InlineData(null, RewrapOutcome.Failed)]
    [InlineData("revocation-b", RewrapOutcome.Failed)]
    [InlineData("revocation-a", RewrapOutcome.Rewrapped)]
    public async Task Rewrap_OpensARevokedVersion_OnlyForTheRevocationThatRevokedIt(string? revocation, RewrapOutcome expected)
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var ciphertext = (await f.Crypto.EncryptAsync(keyId, Plaintext, EncryptionContext.Empty, None)).Ciphertext;
        await f.Keys.RotateAsync(keyId, None);
        await Revocation(f).RevokeAsync(keyId, [1], "leaked", "revocation-a", Responder, None);
        var rewrapper = new Rewrapper(f.Store, f.Hsm);

        var target = await rewrapper.TargetAsync(keyId, None, revocation);
        var result = rewrapper.Rewrap(target, ciphertext, EncryptionContext.Empty, null);

        Assert.Equal(expected, result.Outcome);
        if (expected == RewrapOutcome.Rewrapped)
        {
            var reopened = await f.Crypto.DecryptAsync(result.Ciphertext!, EncryptionContext.Empty, None);
            Assert.Equal(Plaintext, reopened.Plaintext.ToArray());
            Assert.Equal(2, reopened.Version);
        }
    }

    [Fact]
    public async Task DestroyRevoked_RemovesTheMaterialOfThatOperationsVersionsOnly()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        await f.Keys.RotateAsync(keyId, None);
        await f.Keys.RotateAsync(keyId, None);
        await Revocation(f).RevokeAsync(keyId, [1], "leaked", "revocation-a", Responder, None);
        await Revocation(f).RevokeAsync(keyId, [2], "other incident", "revocation-b", Responder, None);
        var destruction = Destruction(f);

        var destroyed = await destruction.DestroyRevokedAsync(keyId, "revocation-a", Responder, None);
        var again = await destruction.DestroyRevokedAsync(keyId, "revocation-a", Responder, None);

        Assert.Equal([1], destroyed);
        Assert.Equal([1], again);
        var v1 = (await f.Store.GetVersionAsync(keyId, 1, None))!;
        Assert.Equal(KeyVersionState.Destroyed, v1.State);
        Assert.Empty(v1.WrappedMaterial);
        Assert.Equal(KeyVersionState.Revoked, (await f.Store.GetVersionAsync(keyId, 2, None))!.State);
        Assert.Equal(KeyVersionState.Enabled, (await f.Store.GetVersionAsync(keyId, 3, None))!.State);
        Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyDestroyed);
    }

    [Fact]
    public async Task DestroyKey_OnlyForTheScheduledDate_ThenEveryVersionIsGoneAndTheAliasFreed()
    {
        var f = new ServiceFixture(new KmsOptions { MinDeletionWaitingDays = 0 });
        var keyId = await f.CreateKeyAsync(KeySpec.EcP256, alias: "doomed");
        await f.Keys.RotateAsync(keyId, None);
        var destruction = Destruction(f);
        Assert.False(await destruction.DestroyKeyAsync(keyId, f.Time.GetUtcNow(), Responder, None));

        var scheduled = await f.Keys.ScheduleDeletionAsync(keyId, 7, None);
        var date = scheduled.DeletionDate!.Value;
        Assert.Equal(0, date.Ticks % TimeSpan.TicksPerSecond);
        Assert.False(await destruction.DestroyKeyAsync(keyId, date.AddSeconds(1), Responder, None));
        Assert.True(await destruction.IsDeletionPendingAsync(keyId, date, None));

        Assert.True(await destruction.DestroyKeyAsync(keyId, date, Responder, None));
        Assert.True(await destruction.DestroyKeyAsync(keyId, date, Responder, None));

        var key = (await f.Store.GetKeyAsync(keyId, None))!;
        Assert.Equal(KeyState.Destroyed, key.State);
        Assert.All(await f.Store.ListVersionsAsync(keyId, None), v => Assert.Equal((KeyVersionState.Destroyed, 0), (v.State, v.WrappedMaterial.Length)));
        Assert.Null(await f.Store.GetAliasAsync("doomed", None));
        Assert.Single(f.Store.Outbox, e => e.Type == KmsEventTypes.KeyDestroyed);
        var cancel = await Assert.ThrowsAsync<KmsException>(() => f.Keys.SetKeyStateAsync(keyId, KeyState.Enabled, None));
        Assert.Equal(KmsErrorCodes.KeyDestroyed, cancel.Code);
    }

    [Fact]
    public async Task DestroyKey_AfterTheDeletionWasCancelled_DestroysNothing()
    {
        var f = new ServiceFixture();
        var keyId = await f.CreateKeyAsync(KeySpec.Aes256);
        var date = (await f.Keys.ScheduleDeletionAsync(keyId, 7, None)).DeletionDate!.Value;
        await f.Keys.CancelDeletionAsync(keyId, None);

        Assert.False(await Destruction(f).DestroyKeyAsync(keyId, date, Responder, None));
        Assert.Equal(KeyState.Disabled, (await f.Store.GetKeyAsync(keyId, None))!.State);
        Assert.NotEmpty((await f.Store.GetVersionAsync(keyId, 1, None))!.WrappedMaterial);
    }

    private static KeyRevocationSteps Revocation(ServiceFixture f) =>
        new(f.Store, f.Hsm, new NoOutbox(), f.Catalog, f.Events, f.Time, NullLogger<KeyRevocationSteps>.Instance);

    private static KeyDestructionSteps Destruction(ServiceFixture f) =>
        new(f.Store, f.Store, f.Hsm, f.Catalog, f.Events, f.Time, NullLogger<KeyDestructionSteps>.Instance);

    /// <summary>The outbox side is not used by these steps' state changes (the store's fake records the events).</summary>
    private sealed class NoOutbox : IOutboxStore
    {
        public Task<OutboxScan> ScanAsync(CancellationToken cancellationToken) => Task.FromResult(new OutboxScan([], 0, null, 0));

        public Task<IReadOnlyList<OutboxEntry>> ReadAsync(OutboxPartition partition, int max, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<OutboxEntry>>([]);

        public Task CompleteAsync(IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task RecordFailureAsync(OutboxEntry entry, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task PoisonAsync(OutboxEntry entry, string error, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
