using System.Diagnostics;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Core.Telemetry;

namespace Kms.Workflows.Rewrap;

/// <summary>
/// The work of one rewrap or verify activity: a few source pages, short enough for an activity, idempotent because an
/// item already on the target version is skipped and every write is conditional on the ETag the item was read with.
/// An activity answers with the continuation after the last page it finished, so the orchestration's checkpoint only
/// ever passes items fully written: a crash or a re-delivery re-runs the activity from where it began.
/// </summary>
public sealed class RewrapSteps
{
    private const int WriteAttempts = 3;
    private readonly IRewrapSources _sources;
    private readonly Rewrapper _rewrapper;
    private readonly KmsMetrics? _metrics;
    private readonly RewrapPaging _paging;

    public RewrapSteps(IRewrapSources sources, Rewrapper rewrapper, KmsMetrics? metrics = null, RewrapPaging? paging = null)
    {
        _metrics = metrics;
        _sources = sources;
        _rewrapper = rewrapper;
        _paging = paging ?? RewrapPaging.Default;
    }

    public Task<long?> CountAsync(RewrapInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        return _sources.Open(input.Source).CountAsync(cancellationToken);
    }

    /// <summary>
    /// Rewraps up to <see cref="RewrapPaging.PagesPerActivity"/> source pages from the request's continuation. Each page
    /// is rewrapped and written while the next one is read, and within a page the writes of one slice overlap the
    /// crypto of the next; the answer's continuation is the one after the last page whose writes all finished.
    /// </summary>
    public async Task<RewrapPageResult> RewrapPageAsync(RewrapPageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = await _rewrapper.TargetAsync(request.Input.KeyId, cancellationToken, request.Input.Revocation);
        var source = _sources.Open(request.Input.Source);
        var from = request.Input.FromVersions?.ToHashSet();
        var tally = new PageTally();
        var running = Stopwatch.StartNew();
        var page = await source.ReadPageAsync(request.Continuation, _paging.PageSize, cancellationToken);
        for (var pages = 1; ; pages++)
        {
            var next = page.Continuation is { } continuation && pages < _paging.PagesPerActivity && running.Elapsed < _paging.ActivityBudget
                ? source.ReadPageAsync(continuation, _paging.PageSize, cancellationToken)
                : null;
            try
            {
                await RewrapItemsAsync(source, target, page.Items, from, tally, cancellationToken);
            }
            catch when (next is not null)
            {
                // The read ahead is abandoned with the activity; observe it so its own failure is not left unobserved.
                _ = next.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                throw;
            }

            if (next is null)
            {
                // Counted by the activity that did the work; an item left by lost write races counts as failed (the page reports it as a conflict).
                _metrics?.RewrapItems(tally.Done, tally.Skipped, tally.Failed + tally.Conflicts);
                return new RewrapPageResult(tally.Done, tally.Skipped, tally.Failed, tally.Conflicts, page.Continuation);
            }

            page = await next;
        }
    }

    /// <summary>
    /// One source page: every item's new ciphertext slice by slice, each slice's writes (which the source batches) sent
    /// while the next slice is encrypted; an item changed since the read is settled one by one at the end.
    /// </summary>
    private async Task RewrapItemsAsync(IRewrapSource source, RewrapTarget target, IReadOnlyList<RewrapItem> items, HashSet<int>? from, PageTally tally,
        CancellationToken cancellationToken)
    {
        var sent = new List<(List<RewrapWrite> Writes, Task<IReadOnlyList<bool>> Written)>();
        try
        {
            await SendSlicesAsync(source, target, items, from, tally, sent, cancellationToken);
            await Task.WhenAll(sent.Select(s => s.Written));
        }
        catch
        {
            // Every write ends before the activity fails, so a re-run never races this run's writes.
            await Task.WhenAll(sent.Select(s => s.Written)).ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }

        foreach (var (writes, written) in sent)
        {
            var answers = await written;
            for (var i = 0; i < writes.Count; i++)
            {
                tally.Count(answers[i] ? RewrapOutcome.Rewrapped : await SettleChangedAsync(source, target, writes[i].Item.Id, from, cancellationToken));
            }
        }
    }

    private async Task SendSlicesAsync(IRewrapSource source, RewrapTarget target, IReadOnlyList<RewrapItem> items, HashSet<int>? from, PageTally tally,
        List<(List<RewrapWrite> Writes, Task<IReadOnlyList<bool>> Written)> sent, CancellationToken cancellationToken)
    {
        foreach (var slice in items.Chunk(_paging.SliceSize))
        {
            var writes = new List<RewrapWrite>(slice.Length);
            foreach (var item in slice)
            {
                var result = _rewrapper.Rewrap(target, item.Ciphertext, item.Context, from);
                if (result.Outcome == RewrapOutcome.Rewrapped)
                {
                    writes.Add(new RewrapWrite(item, result.Ciphertext!));
                }
                else
                {
                    tally.Count(result.Outcome);
                }
            }

            if (writes.Count > 0)
            {
                sent.Add((writes, source.WriteManyAsync(writes, cancellationToken)));
            }

            // Bounded: a slice waits for a free place rather than flooding the account.
            var pending = sent.Select(s => s.Written).Where(t => !t.IsCompleted).ToArray();
            if (pending.Length >= _paging.SlicesInFlight)
            {
                await Task.WhenAny(pending);
            }
        }
    }

    /// <summary>
    /// An item someone wrote between our read and our write: read it again and rewrap what they wrote, never overwriting
    /// it. Null when it kept changing for <see cref="WriteAttempts"/> rounds; NotSelected when it is gone.
    /// </summary>
    private async Task<RewrapOutcome?> SettleChangedAsync(IRewrapSource source, RewrapTarget target, string id, HashSet<int>? from,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= WriteAttempts; attempt++)
        {
            if (await source.ReadItemAsync(id, cancellationToken) is not { } fresh)
            {
                return RewrapOutcome.NotSelected;
            }

            var result = _rewrapper.Rewrap(target, fresh.Ciphertext, fresh.Context, from);
            if (result.Outcome != RewrapOutcome.Rewrapped)
            {
                return result.Outcome;
            }

            if (await source.WriteAsync(fresh, result.Ciphertext!, cancellationToken))
            {
                return RewrapOutcome.Rewrapped;
            }
        }

        return null;
    }

    /// <summary>Counts items still on the versions the campaign moves off, over up to <see cref="RewrapPaging.VerifyPagesPerActivity"/> pages.</summary>
    public async Task<VerifyPageResult> VerifyPageAsync(RewrapPageRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var target = await _rewrapper.TargetAsync(request.Input.KeyId, cancellationToken, request.Input.Revocation);
        var source = _sources.Open(request.Input.Source);
        var from = request.Input.FromVersions?.ToHashSet();
        var running = Stopwatch.StartNew();
        var continuation = request.Continuation;
        var remaining = 0;
        var pages = 0;
        do
        {
            var page = await source.ReadPageAsync(continuation, _paging.PageSize, cancellationToken);
            // "Would be rewrapped" is exactly "still on a version the campaign moves off".
            remaining += page.Items.Count(i => Rewrapper.Classify(target, i.Ciphertext, from, out _) == RewrapOutcome.Rewrapped);
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null && pages < _paging.VerifyPagesPerActivity && running.Elapsed < _paging.ActivityBudget);

        return new VerifyPageResult(remaining, continuation);
    }

    /// <summary>Where a rewrap activity's items end up; null is an item that kept changing under us (a conflict).</summary>
    private sealed class PageTally
    {
        public int Done { get; private set; }

        public int Skipped { get; private set; }

        public int Failed { get; private set; }

        public int Conflicts { get; private set; }

        public void Count(RewrapOutcome? outcome)
        {
            switch (outcome)
            {
                case RewrapOutcome.Rewrapped: Done++; break;
                case RewrapOutcome.Failed: Failed++; break;
                case null: Conflicts++; break;
                default: Skipped++; break;
            }
        }
    }
}

/// <summary>
/// How much one rewrap or verify activity does. Fewer, larger activities matter most: every activity costs the
/// orchestration a round of queue messages and history writes, which on Azurite took longer than the work of a
/// 100-item page (docs/performance.md).
/// </summary>
/// <param name="PageSize">Items per source read; 1,000 is the Table service's own page.</param>
/// <param name="PagesPerActivity">Source pages one rewrap activity works through (the next read overlaps the current writes).</param>
/// <param name="VerifyPagesPerActivity">Source pages one verify activity reads (reads only, so more of them).</param>
/// <param name="SliceSize">Items whose writes are sent together (a Table transaction holds at most 100).</param>
/// <param name="SlicesInFlight">Slices of writes outstanding at once while the next slice is encrypted.</param>
/// <param name="ActivityBudget">After this long an activity starts no further page, so it ends well inside the engine's
/// work-item visibility timeout (one minute by default) however slow the source.</param>
public sealed record RewrapPaging(int PageSize, int PagesPerActivity, int VerifyPagesPerActivity, int SliceSize, int SlicesInFlight, TimeSpan ActivityBudget)
{
    public static RewrapPaging Default { get; } = new(1000, 4, 10, 100, 4, TimeSpan.FromSeconds(15));
}
