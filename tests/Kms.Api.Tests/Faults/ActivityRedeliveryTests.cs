using System.Diagnostics.Metrics;
using System.Reflection;
using Kms.Core;
using Kms.Core.Events;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Core.Telemetry;
using Kms.Workflows;
using Kms.Workflows.Deletion;
using Kms.Workflows.Operations;
using Kms.Workflows.Revocation;
using Kms.Workflows.Rewrap;
using Kms.Workflows.RootRotation;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests.Faults;

/// <summary>
/// Durable Task delivers activities at least once: a result lost in a crash, or a run longer than the work-item visibility
/// timeout, runs the activity again, possibly while the first copy still runs. Every activity is run here directly, as
/// the worker runs it (created from the host's services, called through <see cref="ITaskActivity"/>), twice with the same
/// input: one after the other, and two copies at once (a copy that fails is delivered again, as the step's retry policy
/// would). The state after two runs must be the state after one: same versions, primary, aliases and root keys, one
/// outbox event per effect, no item rewritten twice, no audit record (activities write none: the request that started
/// the operation was audited once, and the events name it).
/// </summary>
public sealed class ActivityRedeliveryTests(RedeliveryHost fixture) : IClassFixture<RedeliveryHost>
{
    private const string Actor = "redelivery-tester";
    private const string RequestId = "redelivery-request";

    /// <summary>Activities that change nothing, so delivering them twice cannot do anything twice (still run twice below).</summary>
    private static readonly Dictionary<string, string> ReadOnly = new(StringComparer.Ordinal)
    {
        [nameof(ProbeVersionActivity)] = "a round trip through the HSM with random bytes; nothing is stored",
        [nameof(CountRewrapItemsActivity)] = "counts the source's items",
        [nameof(VerifyRewrapPageActivity)] = "reads a page and counts items still on old versions",
        [nameof(AwaitRevocationPublishedActivity)] = "polls the outbox until events are gone",
        [nameof(GetCampaignStateActivity)] = "reads an orchestration's status",
        [nameof(CheckDeletionPendingActivity)] = "reads the key's state",
    };

    private KmsHostFixture Host => fixture.Host;

    public static TheoryData<string> Activities() => new(KmsWorkflows.Activities);

    [Fact]
    public void ActivityList_IsEveryActivityClass_AndEachHasARedeliveryCase()
    {
        var classes = typeof(KmsWorkflows).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ITaskActivity).IsAssignableFrom(t)).Select(t => t.Name).Order();

        Assert.Equal(classes, KmsWorkflows.Activities.Order());
        var uncovered = KmsWorkflows.Activities.Where(a => !Cases.ContainsKey(a)).ToArray();
        Assert.True(uncovered.Length == 0,
            $"Add a redelivery case for {string.Join(", ", uncovered)} to {nameof(ActivityRedeliveryTests)}.{nameof(Cases)} (a read-only one also goes in {nameof(ReadOnly)}, with why).");
    }

    [Theory]
    [MemberData(nameof(Activities))]
    public async Task Activity_DeliveredTwiceInTurn_LeavesTheStateOfOneDelivery(string activity)
    {
        var run = await Cases[activity](this);
        var instanceId = "redelivered-" + Guid.NewGuid().ToString("N");
        var before = await run.Snapshot();
        var auditBefore = run.KeyId is null ? 0 : await fixture.AuditRecordsAsync(run.KeyId);

        var first = await InvokeAsync(activity, run.Input, instanceId);
        var afterOne = await run.Snapshot();
        var second = await InvokeAsync(activity, run.Input, instanceId);
        var afterTwo = await run.Snapshot();

        Assert.Equal(afterOne, afterTwo);
        if (!run.KnownOnlyAfterARun)
        {
            Assert.Equal(run.Expected ?? before, afterOne);
        }

        // Before the result checks, whose own requests (decrypting the items, polling a campaign) are audited.
        if (run.KeyId is not null)
        {
            Assert.Equal(auditBefore, await fixture.AuditRecordsAsync(run.KeyId));
        }

        await run.CheckResults([first, second]);
    }

    [Theory]
    [MemberData(nameof(Activities))]
    public async Task Activity_DeliveredTwiceAtOnce_LeavesTheStateOfOneDelivery(string activity)
    {
        var run = await Cases[activity](this);
        var instanceId = "redelivered-" + Guid.NewGuid().ToString("N");
        var before = await run.Snapshot();

        var results = await Task.WhenAll(InvokeRetryingAsync(activity, run.Input, instanceId), InvokeRetryingAsync(activity, run.Input, instanceId));

        if (!run.KnownOnlyAfterARun)
        {
            Assert.Equal(run.Expected ?? before, await run.Snapshot());
        }

        await run.CheckResults(results);
    }

    /// <summary>
    /// The race the concurrent redelivery found: a campaign's disable step listed version 1 as enabled, then a revocation
    /// revoked it before the step wrote. The step must leave it revoked (a disabled version could be enabled again) and
    /// announce nothing.
    /// </summary>
    [Fact]
    public async Task DisableOldVersions_VersionRevokedAfterTheList_StaysRevoked_NoDisabledEvent()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        await Host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var services = fixture.Services;
        var revocation = services.GetRequiredService<KeyRevocationSteps>();
        var operationId = $"revocation-{keyId}-race";
        var store = InterferingKeyStore.Create(services.GetRequiredService<IKeyStore>(), () =>
            revocation.RevokeAsync(keyId, [1], "revoked while a campaign disables", operationId, new Actor(Actor, RequestId), CancellationToken.None));
        var steps = new KeyRotationSteps(store, services.GetRequiredService<IHsm>(), services.GetRequiredService<IKeyVersionProbe>(),
            services.GetRequiredService<KeyCatalog>(), services.GetRequiredService<ChangeEvents>(), TimeProvider.System,
            services.GetRequiredService<Microsoft.Extensions.Logging.ILogger<KeyRotationSteps>>());

        var disabled = await steps.DisableVersionsAsync(keyId, [1], new Actor(Actor, RequestId), CancellationToken.None);

        Assert.Empty(disabled);
        Assert.Equal($"state=Enabled primary=2 latest=2 versions=1:Revoked:revoked-by-op,2:Enabled aliases=0 events=[" +
            $"{KmsEventTypes.KeyCreated}:1,{KmsEventTypes.KeyRotated}:1,{KmsEventTypes.KeyVersionCreated}:1,{KmsEventTypes.KeyVersionRevoked}:1]",
            await fixture.KeySnapshotAsync(keyId));
    }

    [Fact]
    public async Task RecordOperationEnded_SameOperationTwice_CountedOnce_AnotherOperationCountedAgain()
    {
        var metrics = fixture.Services.GetRequiredService<KmsMetrics>();
        using var completed = new CounterListener(metrics, KmsMetricNames.OperationsCompleted);
        var input = new OperationEnded(OperationTypes.Rotation, OperationEnded.Completed, "rotation-" + Guid.NewGuid().ToString("N"));

        await InvokeAsync(nameof(RecordOperationEndedActivity), input, input.OperationId!);
        await InvokeAsync(nameof(RecordOperationEndedActivity), input, input.OperationId!);
        Assert.Equal(1, completed.Total);

        await InvokeAsync(nameof(RecordOperationEndedActivity), input with { OperationId = input.OperationId + "-other" }, "other");
        Assert.Equal(2, completed.Total);
    }

    /// <summary>One case: what the activity gets, how to read the state it changes, and what that state must be after it.</summary>
    /// <param name="Expected">The snapshot after one (or two) deliveries; null: unchanged (a read-only activity).</param>
    /// <param name="KeyId">The key whose audit records must not grow; null when the activity is not about one key.</param>
    /// <param name="Results">Checks the results of the two deliveries (and what the snapshot cannot show).</param>
    private sealed record Run(object Input, Func<Task<string>> Snapshot, string? Expected, string? KeyId = null, Func<object?[], Task>? Results = null)
    {
        /// <summary>The state after a delivery holds values made by it (new ciphertexts, ETags, times): the in-turn test compares
        /// the second delivery's state with the first's, and <see cref="Results"/> checks what one delivery must have done.</summary>
        public bool KnownOnlyAfterARun { get; private init; }

        public Run WithExpectedFromFirstRun() => this with { KnownOnlyAfterARun = true };

        public Task CheckResults(object?[] results) => Results?.Invoke(results) ?? Task.CompletedTask;
    }

    private static readonly Dictionary<string, Func<ActivityRedeliveryTests, Task<Run>>> Cases = new(StringComparer.Ordinal)
    {
        [nameof(CreateStandbyVersionActivity)] = t => t.CreateStandbyCase(),
        [nameof(ProbeVersionActivity)] = t => t.ProbeCase(),
        [nameof(PromoteVersionActivity)] = t => t.PromoteCase(),
        [nameof(RollBackRotationActivity)] = t => t.RollBackCase(),
        [nameof(CountRewrapItemsActivity)] = t => t.RewrapReadCase(page: false),
        [nameof(RewrapPageActivity)] = t => t.RewrapPageCase(),
        [nameof(VerifyRewrapPageActivity)] = t => t.RewrapReadCase(page: true),
        [nameof(DisableOldVersionsActivity)] = t => t.DisableOldVersionsCase(),
        [nameof(RevokeVersionsActivity)] = t => t.RevokeCase(),
        [nameof(AwaitRevocationPublishedActivity)] = t => t.AwaitPublishedCase(),
        [nameof(DestroyRevokedVersionsActivity)] = t => t.DestroyRevokedCase(),
        [nameof(StartRewrapCampaignActivity)] = t => t.StartCampaignCase(),
        [nameof(GetCampaignStateActivity)] = t => t.GetCampaignStateCase(),
        [nameof(CheckDeletionPendingActivity)] = t => t.CheckDeletionPendingCase(),
        [nameof(DestroyKeyActivity)] = t => t.DestroyKeyCase(),
        [nameof(CreateNextRootActivity)] = t => t.CreateNextRootCase(),
        [nameof(SweepRootPageActivity)] = t => t.SweepRootPageCase(),
        [nameof(SwitchRootActivity)] = t => t.SwitchRootCase(),
        [nameof(RetireOldRootsActivity)] = t => t.RetireOldRootsCase(),
        [nameof(RecordOperationEndedActivity)] = t => t.RecordOperationEndedCase(),
    };

    private static string Events(params (string Type, int Count)[] events) =>
        "events=[" + string.Join(",", events.OrderBy(e => e.Type, StringComparer.Ordinal).Select(e => $"{e.Type}:{e.Count}")) + "]";

    private RotationStep Step(string keyId, string operationId, StandbyVersion? standby = null) => new(keyId, operationId, Actor, RequestId, standby);

    private Run KeyRun(string keyId, object input, string? expected, Func<object?[], Task>? results = null) =>
        new(input, () => fixture.KeySnapshotAsync(keyId), expected, keyId, results);

    private static Task AllEqual(object?[] results)
    {
        Assert.All(results, r => Assert.Equal(results[0], r));
        return Task.CompletedTask;
    }

    private async Task<Run> CreateStandbyCase()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        return KeyRun(keyId, Step(keyId, $"rotation-{keyId}-redelivery"),
            $"state=Enabled primary=1 latest=2 versions=1:Enabled,2:Enabled aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1)),
            results =>
            {
                Assert.All(results, r => Assert.Equal(new StandbyVersion(2, 1), r));
                return Task.CompletedTask;
            });
    }

    private async Task<Run> ProbeCase()
    {
        var keyId = await Host.CreateKeyAsync("EC_P256");
        return KeyRun(keyId, Step(keyId, $"rotation-{keyId}-redelivery", new StandbyVersion(1, 1)), null, results =>
        {
            Assert.All(results, r => Assert.True(((ProbeResult)r!).Passed));
            return Task.CompletedTask;
        });
    }

    private async Task<(string KeyId, RotationStep Step)> StandbyAsync()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        var step = Step(keyId, $"rotation-{keyId}-redelivery");
        var standby = (StandbyVersion)(await InvokeAsync(nameof(CreateStandbyVersionActivity), step, "arrange"))!;
        return (keyId, step with { Standby = standby });
    }

    private async Task<Run> PromoteCase()
    {
        var (keyId, step) = await StandbyAsync();
        return KeyRun(keyId, step,
            $"state=Enabled primary=2 latest=2 versions=1:Enabled,2:Enabled aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 1)), AllEqual);
    }

    private async Task<Run> RollBackCase()
    {
        var (keyId, step) = await StandbyAsync();
        await InvokeAsync(nameof(PromoteVersionActivity), step, "arrange");
        // One KeyRotated from the promotion, one from the roll-back that gives the primary back; then the standby is disabled once.
        return KeyRun(keyId, step with { Reason = "canary probe failed: redelivery test" },
            $"state=Enabled primary=1 latest=2 versions=1:Enabled,2:Disabled aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 2),
                (KmsEventTypes.KeyVersionDisabled, 1), (KmsEventTypes.KeyRotationFailed, 1)), AllEqual);
    }

    /// <summary>A key with <paramref name="items"/> ciphertexts of version 1 in a fresh table, then rotated to version 2.</summary>
    private async Task<(string KeyId, StoredCiphertexts Items, RewrapInput Input)> RewrapSetupAsync(int items)
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        var stored = new StoredCiphertexts(Host);
        await stored.SeedAsync(keyId, items);
        await Host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var input = new RewrapInput(keyId, null, new RewrapSourceSpec("table", "local", stored.Table.Name, "Secret"), false, Actor, RequestId);
        return (keyId, stored, input);
    }

    private const string Rotated = "state=Enabled primary=2 latest=2 versions=1:Enabled,2:Enabled aliases=0 ";

    private static readonly string RotatedEvents = Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 1));

    /// <summary>The key and the stored items, each as its row key and exact stored text: a rewrite, even to the same version, changes it.</summary>
    private Func<Task<string>> KeyAndItems(string keyId, StoredCiphertexts items) => async () =>
    {
        var rows = new List<string>();
        await foreach (var row in items.Table.QueryAsync<Azure.Data.Tables.TableEntity>())
        {
            rows.Add($"{row.RowKey}={row.GetString("Secret")}");
        }

        return await fixture.KeySnapshotAsync(keyId) + " items=" + string.Join(",", rows);
    };

    private async Task<Run> RewrapReadCase(bool page)
    {
        var (keyId, items, input) = await RewrapSetupAsync(5);
        return new Run(page ? new RewrapPageRequest(input, null) : input, KeyAndItems(keyId, items), null, keyId, AllEqual);
    }

    private async Task<Run> RewrapPageCase()
    {
        var (keyId, items, input) = await RewrapSetupAsync(5);
        var snapshot = KeyAndItems(keyId, items);
        var before = await snapshot();
        return new Run(new RewrapPageRequest(input, null), snapshot, null, keyId, async results =>
        {
            // Each item was rewritten by exactly one delivery; the other found it on the primary and skipped it.
            var pages = results.Cast<RewrapPageResult>().ToArray();
            Assert.Equal(5, pages.Sum(p => p.Done));
            Assert.Equal(5, pages.Sum(p => p.Skipped));
            Assert.All(pages, p => Assert.Equal(0, p.Failed + p.Conflicts));
            await items.AssertAllOnVersionAsync(keyId, 2);
            Assert.NotEqual(before, await snapshot());
        }).WithExpectedFromFirstRun();
    }

    private async Task<Run> DisableOldVersionsCase()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        await Host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        var input = new RewrapInput(keyId, [1], new RewrapSourceSpec("table", "local", "unused", "Secret"), true, Actor, RequestId);
        return KeyRun(keyId, input, Rotated.Replace("1:Enabled", "1:Disabled", StringComparison.Ordinal) +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 1), (KmsEventTypes.KeyVersionDisabled, 1)),
            results =>
            {
                // The delivery that disabled it says so; another finds nothing left to do.
                Assert.Equal([1], results.Cast<int[]>().SelectMany(r => r));
                return Task.CompletedTask;
            });
    }

    private async Task<(string KeyId, RevocationStep Step)> RevocationSetupAsync()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        await Host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        return (keyId, new RevocationStep(keyId, $"revocation-{keyId}-redelivery", [1], "redelivery test", Actor, RequestId));
    }

    private async Task<Run> RevokeCase()
    {
        var (keyId, step) = await RevocationSetupAsync();
        return KeyRun(keyId, step,
            "state=Enabled primary=2 latest=2 versions=1:Revoked:revoked-by-op,2:Enabled aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 1), (KmsEventTypes.KeyVersionRevoked, 1)),
            results =>
            {
                var revoked = results.Cast<RevocationResult>().ToArray();
                Assert.All(revoked, r => Assert.Equal([1], r.Versions));
                // The ids of the events written: only the delivery that revoked wrote one (the revocation waits for exactly those).
                Assert.Single(revoked.SelectMany(r => r.EventIds));
                return Task.CompletedTask;
            });
    }

    private async Task<Run> AwaitPublishedCase()
    {
        // Events that were never written are "gone from the outbox" at once: a read-only poll either way.
        var keyId = await Host.CreateKeyAsync("AES_256");
        return KeyRun(keyId, new PublishWait(keyId, ["no-such-event"]), null);
    }

    private async Task<Run> DestroyRevokedCase()
    {
        var (keyId, step) = await RevocationSetupAsync();
        await InvokeAsync(nameof(RevokeVersionsActivity), step, "arrange");
        return KeyRun(keyId, step,
            "state=Enabled primary=2 latest=2 versions=1:Destroyed:no-material:revoked-by-op,2:Enabled aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyVersionCreated, 1), (KmsEventTypes.KeyRotated, 1),
                (KmsEventTypes.KeyVersionRevoked, 1), (KmsEventTypes.KeyDestroyed, 1)),
            results =>
            {
                Assert.All(results, r => Assert.Equal([1], (int[])r!));
                return Task.CompletedTask;
            });
    }

    private async Task<(string KeyId, DeletionInput Input)> PendingDeletionAsync()
    {
        var keyId = await Host.CreateKeyAsync("AES_256", alias: "redelivery-" + Guid.NewGuid().ToString("N")[..12]);
        await Host.PostOkAsync($"/api/keys/{keyId}/schedule-deletion", new { waitingDays = 7 });
        var key = await fixture.Services.GetRequiredService<IKeyStore>().GetKeyAsync(keyId, CancellationToken.None);
        return (keyId, new DeletionInput(keyId, key!.DeletionDate!.Value, Actor, RequestId, 2, TimeSpan.FromHours(72)));
    }

    private async Task<Run> CheckDeletionPendingCase()
    {
        var (keyId, input) = await PendingDeletionAsync();
        return KeyRun(keyId, input, null, results =>
        {
            Assert.All(results, r => Assert.True((bool)r!));
            return Task.CompletedTask;
        });
    }

    private async Task<Run> DestroyKeyCase()
    {
        var (keyId, input) = await PendingDeletionAsync();
        // The key's KeyDestroyed is announced once; its versions' material goes with it (no event per version) and the alias is freed.
        return KeyRun(keyId, input,
            "state=Destroyed primary=1 latest=1 versions=1:Destroyed:no-material aliases=0 " +
            Events((KmsEventTypes.KeyCreated, 1), (KmsEventTypes.KeyDeletionScheduled, 1), (KmsEventTypes.KeyDestroyed, 1)),
            results =>
            {
                Assert.All(results, r => Assert.True((bool)r!));
                return Task.CompletedTask;
            });
    }

    private async Task<Run> StartCampaignCase()
    {
        var (keyId, items, input) = await RewrapSetupAsync(3);
        var parent = $"rotation-{keyId}-20260101T000000000-{Guid.NewGuid().ToString("N")[..8]}";
        var campaignId = CampaignStart.ChildId(parent, OperationTypes.Rotation, keyId, 1);
        var client = fixture.Services.GetRequiredService<DurableTaskClient>();
        var started = new CounterListener(fixture.Services.GetRequiredService<KmsMetrics>(), KmsMetricNames.OperationsStarted);
        return new Run(new CampaignStart(campaignId, input), async () =>
        {
            var instance = await client.GetInstanceAsync(campaignId, getInputsAndOutputs: false);
            return instance is null ? "no campaign" : $"campaign {instance.Name} created {instance.CreatedAt:O}";
        }, null, keyId, async results =>
        {
            using (started)
            {
                Assert.All(results, r => Assert.Equal(campaignId, r));
                // Started (and counted) once; the one campaign moves every item.
                Assert.Equal(1, started.Total);
                await Host.WaitForOperationAsync(campaignId, "COMPLETED");
                await items.AssertAllOnVersionAsync(keyId, 2);
            }
        }).WithExpectedFromFirstRun();
    }

    private async Task<Run> GetCampaignStateCase()
    {
        var (keyId, items, input) = await RewrapSetupAsync(2);
        var campaignId = CampaignStart.ChildId($"rotation-{keyId}-20260101T000000000-{Guid.NewGuid().ToString("N")[..8]}", OperationTypes.Rotation, keyId, 1);
        await InvokeAsync(nameof(StartRewrapCampaignActivity), new CampaignStart(campaignId, input), "arrange");
        await Host.WaitForOperationAsync(campaignId, "COMPLETED");
        return new Run(campaignId, KeyAndItems(keyId, items), null, keyId, results =>
        {
            Assert.All(results, r => Assert.Equal(new CampaignState("COMPLETED", null), r));
            return Task.CompletedTask;
        });
    }

    private IHsmRootKeys Roots => fixture.Services.GetRequiredService<IHsmRootKeys>();

    /// <summary>The host's root family in the HSM: the current root and every root, by label.</summary>
    private Task<string> RootsSnapshot() =>
        Task.FromResult($"current={Roots.GetCurrentRootKeyLabel()} roots={string.Join(",", Roots.ListRootKeys().Order(StringComparer.Ordinal))}");

    private static RootRotationInput RootInput => new(Actor, RequestId, 1);

    private async Task<Run> CreateNextRootCase()
    {
        await Host.CreateKeyAsync("AES_256");
        var current = Roots.GetCurrentRootKeyLabel();
        return new Run(RootInput, RootsSnapshot, null, Results: async results =>
        {
            await AllEqual(results);
            var roots = (RootRotationRoots)results[0]!;
            Assert.Equal(current, roots.OldRootKeyLabel);
            // One root object of the next generation, however many deliveries asked for it; the current root is unchanged.
            Assert.Single(Roots.ListRootKeys(), l => l == roots.NewRootKeyLabel);
            Assert.Equal(current, Roots.GetCurrentRootKeyLabel());
        }).WithExpectedFromFirstRun();
    }

    private async Task<RootRotationRoots> NextRootAsync() =>
        (RootRotationRoots)(await InvokeAsync(nameof(CreateNextRootActivity), RootInput, "arrange"))!;

    /// <summary>Every stored version row of the host, with its root and ETag: a version rewritten again gets a new ETag.</summary>
    private async Task<string> StoredBlobs()
    {
        var rows = new List<string>();
        string? continuation = null;
        do
        {
            var page = await fixture.Services.GetRequiredService<IKeyStore>().ListAllVersionsAsync(RootKeyRotationSteps.PageSize, continuation, CancellationToken.None);
            rows.AddRange(page.Items.Select(v => $"{v.KeyId}/{v.Version}:{v.RootKeyLabel}:{v.ETag}"));
            continuation = page.ContinuationToken;
        }
        while (continuation is not null);

        return string.Join("\n", rows);
    }

    private async Task SweepAllAsync(string newRoot)
    {
        string? continuation = null;
        do
        {
            var page = (RootSweepPage)(await InvokeAsync(nameof(SweepRootPageActivity), new RootSweepRequest(newRoot, continuation, false), "arrange"))!;
            Assert.Equal(0, page.Failed);
            continuation = page.Next;
        }
        while (continuation is not null);
    }

    private async Task<Run> SweepRootPageCase()
    {
        // Enough versions for a first page and more: the case sweeps the first page.
        await Host.CreateKeyAsync("AES_256");
        var roots = await NextRootAsync();
        var pending = (await fixture.Services.GetRequiredService<IKeyStore>().ListAllVersionsAsync(RootKeyRotationSteps.PageSize, null, CancellationToken.None))
            .Items.Count(v => v.WrappedMaterial.Length > 0 && v.RootKeyLabel != roots.NewRootKeyLabel);
        return new Run(new RootSweepRequest(roots.NewRootKeyLabel, null, false), StoredBlobs, null, Results: async results =>
        {
            var pages = results.Cast<RootSweepPage>().ToArray();
            Assert.All(pages, p => Assert.Equal(0, p.Failed));
            // Each blob of the page (and the audit signing key, which the first page takes) was rewrapped by one delivery only.
            Assert.InRange(pages.Sum(p => p.Rewrapped) - pending, 0, 1);
            Assert.All(pages, p => Assert.Equal(pages[0].Next, p.Next));
            await SweepAllAsync(roots.NewRootKeyLabel);
            await AssertKeysWorkAsync();
        }).WithExpectedFromFirstRun();
    }

    private async Task<Run> SwitchRootCase()
    {
        await Host.CreateKeyAsync("AES_256");
        var roots = await NextRootAsync();
        await SweepAllAsync(roots.NewRootKeyLabel);
        return new Run(roots.NewRootKeyLabel, RootsSnapshot, null, Results: async _ =>
        {
            Assert.Equal(roots.NewRootKeyLabel, Roots.GetCurrentRootKeyLabel());
            await AssertKeysWorkAsync();
        }).WithExpectedFromFirstRun();
    }

    private async Task<Run> RetireOldRootsCase()
    {
        var oldKey = await Host.CreateKeyAsync("AES_256");
        var ciphertext = (await Host.PostOkAsync($"/api/keys/{oldKey}/encrypt", new { plaintext = "b2xk" })).GetProperty("ciphertext").GetString();
        var roots = await NextRootAsync();
        await SweepAllAsync(roots.NewRootKeyLabel);
        await InvokeAsync(nameof(SwitchRootActivity), roots.NewRootKeyLabel, "arrange");
        // The final sweep, as the orchestration runs it after the switch: nothing may be left under a root about to go.
        await SweepAllAsync(roots.NewRootKeyLabel);
        return new Run(roots.NewRootKeyLabel, RootsSnapshot, $"current={roots.NewRootKeyLabel} roots={roots.NewRootKeyLabel}", Results: async results =>
        {
            // The old root is destroyed by one delivery; the other finds nothing left to retire.
            Assert.Equal([roots.OldRootKeyLabel], results.Cast<string[]>().SelectMany(r => r).Where(l => l == roots.OldRootKeyLabel));
            Assert.Equal("b2xk", (await Host.PostOkAsync("/api/decrypt", new { ciphertext })).GetProperty("plaintext").GetString());
            await AssertKeysWorkAsync();
        });
    }

    private Task<Run> RecordOperationEndedCase()
    {
        var metrics = fixture.Services.GetRequiredService<KmsMetrics>();
        var completed = new CounterListener(metrics, KmsMetricNames.OperationsCompleted);
        var input = new OperationEnded(OperationTypes.Rewrap, OperationEnded.Failed, "rewrap-" + Guid.NewGuid().ToString("N"));
        return Task.FromResult(new Run(input, () => Task.FromResult($"counted={completed.Total}"), "counted=1", Results: results =>
        {
            completed.Dispose();
            Assert.Single(results, r => (bool)r!);
            return Task.CompletedTask;
        }));
    }

    /// <summary>After root changes: a new key and an old one still encrypt and decrypt (their blobs unwrap under the current roots).</summary>
    private async Task AssertKeysWorkAsync()
    {
        var keyId = await Host.CreateKeyAsync("AES_256");
        var ciphertext = (await Host.PostOkAsync($"/api/keys/{keyId}/encrypt", new { plaintext = "cmVkZWxpdmVyeQ==" })).GetProperty("ciphertext").GetString();
        Assert.Equal("cmVkZWxpdmVyeQ==", (await Host.PostOkAsync("/api/decrypt", new { ciphertext })).GetProperty("plaintext").GetString());
    }

    /// <summary>Runs the activity as the worker does: a new instance from the host's services, called with the input object.</summary>
    private Task<object?> InvokeAsync(string activity, object input, string instanceId)
    {
        var type = typeof(KmsWorkflows).Assembly.GetTypes().Single(t => t.Name == activity);
        var instance = (ITaskActivity)ActivatorUtilities.CreateInstance(fixture.Services, type);
        return instance.RunAsync(new Delivery(activity, instanceId), input);
    }

    /// <summary>A copy that fails (it lost a race with the other copy) is delivered again, as the step's retry policy would.</summary>
    private async Task<object?> InvokeRetryingAsync(string activity, object input, string instanceId)
    {
        try
        {
            return await InvokeAsync(activity, input, instanceId);
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            return await InvokeAsync(activity, input, instanceId);
        }
    }

    private sealed class Delivery(string name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }

    /// <summary>Sums one counter of one host's meter (hosts in the same process each have a meter named Kms).</summary>
    private sealed class CounterListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _total;

        public CounterListener(KmsMetrics metrics, string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (ReferenceEquals(i.Meter, metrics.Meter) && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
            _listener.Start();
        }

        public long Total => Interlocked.Read(ref _total);

        public void Dispose() => _listener.Dispose();
    }

    /// <summary>The real key store, except that the first version list is followed by <c>interfere</c> (another writer's change).</summary>
    private class InterferingKeyStore : DispatchProxy
    {
        private IKeyStore _inner = null!;
        private Func<Task> _interfere = null!;
        private int _interfered;

        public static IKeyStore Create(IKeyStore inner, Func<Task> interfere)
        {
            var proxy = Create<IKeyStore, InterferingKeyStore>();
            var self = (InterferingKeyStore)(object)proxy;
            self._inner = inner;
            self._interfere = interfere;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            if (targetMethod.Name != nameof(IKeyStore.ListVersionsAsync) || Interlocked.Exchange(ref _interfered, 1) == 1)
            {
                return result;
            }

            return AfterAsync((Task<IReadOnlyList<KeyVersionRecord>>)result!);
        }

        private async Task<IReadOnlyList<KeyVersionRecord>> AfterAsync(Task<IReadOnlyList<KeyVersionRecord>> listed)
        {
            var versions = await listed;
            await _interfere();
            return versions;
        }
    }
}
