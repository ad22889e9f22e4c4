using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Workflows.Rewrap;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests;

/// <summary>
/// A rewrap activity that works through several source pages (the next read in flight while the current page is
/// written) over a real Azurite table: its continuation only ever passes pages fully written, so an activity that
/// fails part way is run again from where it began and no item is skipped.
/// </summary>
[Collection(KmsHostCollection.Name)]
public sealed class RewrapPagingTests(KmsHostFixture host)
{
    // Pages of 5, three per activity, writes sent two items at a time with two slices outstanding.
    private static readonly RewrapPaging SmallPages = new(PageSize: 5, PagesPerActivity: 3, VerifyPagesPerActivity: 2, SliceSize: 2, SlicesInFlight: 2,
        ActivityBudget: TimeSpan.FromMinutes(5));

    [Fact]
    public async Task RewrapPage_WorksThroughSeveralPages_AndHandsBackTheContinuationAfterTheLast()
    {
        var (keyId, stored, input) = await SetupAsync(23);
        var steps = new RewrapSteps(host.Services!.GetRequiredService<IRewrapSources>(), host.Services!.GetRequiredService<Rewrapper>(), paging: SmallPages);

        var first = await steps.RewrapPageAsync(new RewrapPageRequest(input, null), CancellationToken.None);
        var second = await steps.RewrapPageAsync(new RewrapPageRequest(input, first.Next), CancellationToken.None);

        // 3 pages of 5, then the remaining 8 (pages of 5 and 3), after which the source is exhausted.
        Assert.Equal((15, 0, 0, 0), (first.Done, first.Skipped, first.Failed, first.Conflicts));
        Assert.NotNull(first.Next);
        Assert.Equal((8, 0, 0, 0), (second.Done, second.Skipped, second.Failed, second.Conflicts));
        Assert.Null(second.Next);
        await stored.AssertAllOnVersionAsync(keyId, 2);
        Assert.Equal(0, await RemainingAsync(steps, input));
        await stored.Table.DeleteAsync();
    }

    [Fact]
    public async Task RewrapPage_FailingOnALaterPage_IsRunAgainFromWhereItBegan_AndLeavesNoItemBehind()
    {
        var (keyId, stored, input) = await SetupAsync(15);
        var sources = new FailingSources(host.Services!.GetRequiredService<IRewrapSources>(), failOnWrite: 4);
        var steps = new RewrapSteps(sources, host.Services!.GetRequiredService<Rewrapper>(), paging: SmallPages);
        var request = new RewrapPageRequest(input, null);

        // The fourth batch of writes (on the second page) fails: the activity fails, so the orchestration keeps its checkpoint.
        await Assert.ThrowsAsync<IOException>(() => steps.RewrapPageAsync(request, CancellationToken.None));
        var before = await RemainingAsync(steps, input);
        // The engine runs the failed activity again with the same request: what the first run wrote is skipped, the rest is rewrapped.
        var again = await steps.RewrapPageAsync(request, CancellationToken.None);

        Assert.InRange(before, 1, 14);
        Assert.Equal(before, again.Done);
        Assert.Equal(15 - before, again.Skipped);
        Assert.Equal((0, 0), (again.Failed, again.Conflicts));
        Assert.Null(again.Next);
        await stored.AssertAllOnVersionAsync(keyId, 2);
        await stored.Table.DeleteAsync();
    }

    [Fact]
    public async Task VerifyPage_ReadsSeveralPagesPerActivity_AndCountsWhatIsLeftOnTheOldVersion()
    {
        var (_, stored, input) = await SetupAsync(12);
        var steps = new RewrapSteps(host.Services!.GetRequiredService<IRewrapSources>(), host.Services!.GetRequiredService<Rewrapper>(), paging: SmallPages);

        var first = await steps.VerifyPageAsync(new RewrapPageRequest(input, null), CancellationToken.None);
        var second = await steps.VerifyPageAsync(new RewrapPageRequest(input, first.Next), CancellationToken.None);

        // Two pages of 5 per activity, then the last 2: nothing rewrapped yet, so every item is still on version 1.
        Assert.Equal(10, first.Remaining);
        Assert.NotNull(first.Next);
        Assert.Equal(2, second.Remaining);
        Assert.Null(second.Next);
        await stored.Table.DeleteAsync();
    }

    /// <summary>A key whose <paramref name="items"/> stored ciphertexts are on version 1 while version 2 is primary.</summary>
    private async Task<(string KeyId, StoredCiphertexts Stored, RewrapInput Input)> SetupAsync(int items)
    {
        var keyId = await host.CreateKeyAsync("AES_256");
        var stored = new StoredCiphertexts(host);
        await stored.SeedAsync(keyId, items);
        await host.PostOkAsync($"/api/keys/{keyId}/rotate", new { });
        return (keyId, stored, new RewrapInput(keyId, [1], new RewrapSourceSpec("table", "local", stored.Table.Name, "Secret"), false, "tester", null));
    }

    private static async Task<int> RemainingAsync(RewrapSteps steps, RewrapInput input)
    {
        var remaining = 0;
        string? continuation = null;
        do
        {
            var page = await steps.VerifyPageAsync(new RewrapPageRequest(input, continuation), CancellationToken.None);
            remaining += page.Remaining;
            continuation = page.Next;
        }
        while (continuation is not null);

        return remaining;
    }

    /// <summary>Real sources whose <c>failOnWrite</c>th batch of writes fails once, as a storage outage would, before it is sent.</summary>
    private sealed class FailingSources(IRewrapSources inner, int failOnWrite) : IRewrapSources
    {
        private int _writes;

        public void Validate(RewrapSourceSpec spec) => inner.Validate(spec);

        public IRewrapSource Open(RewrapSourceSpec spec) => new Source(inner.Open(spec), this);

        private bool FailsNow() => Interlocked.Increment(ref _writes) == failOnWrite;

        private sealed class Source(IRewrapSource inner, FailingSources owner) : IRewrapSource
        {
            public Task<RewrapPage> ReadPageAsync(string? continuation, int pageSize, CancellationToken cancellationToken) =>
                inner.ReadPageAsync(continuation, pageSize, cancellationToken);

            public Task<IReadOnlyList<bool>> WriteManyAsync(IReadOnlyList<RewrapWrite> writes, CancellationToken cancellationToken) =>
                owner.FailsNow() ? Task.FromException<IReadOnlyList<bool>>(new IOException("storage unavailable")) : inner.WriteManyAsync(writes, cancellationToken);

            public Task<bool> WriteAsync(RewrapItem item, byte[] ciphertext, CancellationToken cancellationToken) => inner.WriteAsync(item, ciphertext, cancellationToken);

            public Task<RewrapItem?> ReadItemAsync(string id, CancellationToken cancellationToken) => inner.ReadItemAsync(id, cancellationToken);

            public Task<long?> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);
        }
    }
}
