using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Core.Telemetry;

namespace Kms.Workflows.Rewrap;

/// <summary>
/// One page of a rewrap campaign at a time: short enough for an activity, idempotent because an item already on the
/// target version is skipped and every write is conditional on the ETag the item was read with.
/// </summary>
public sealed class RewrapSteps
{
    public const int PageSize = 100;
    private const int WriteAttempts = 3;
    private readonly IRewrapSources _sources;
    private readonly Rewrapper _rewrapper;
    private readonly KmsMetrics? _metrics;

    public RewrapSteps(IRewrapSources sources, Rewrapper rewrapper, KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _sources = sources;
        _rewrapper = rewrapper;
    }

    public Task<long?> CountAsync(RewrapInput input, CancellationToken cancellationToken) =>
        _sources.Open(input.Source).CountAsync(cancellationToken);

    public async Task<RewrapPageResult> RewrapPageAsync(RewrapPageRequest request, CancellationToken cancellationToken)
    {
        var target = await _rewrapper.TargetAsync(request.Input.KeyId, cancellationToken, request.Input.Revocation);
        var source = _sources.Open(request.Input.Source);
        var page = await source.ReadPageAsync(request.Continuation, PageSize, cancellationToken);
        var from = request.Input.FromVersions?.ToHashSet();
        int done = 0, skipped = 0, failed = 0, conflicts = 0;
        // Where each item ends up; null is an item that kept changing under us (a conflict).
        void Count(RewrapOutcome? outcome)
        {
            switch (outcome)
            {
                case RewrapOutcome.Rewrapped: done++; break;
                case RewrapOutcome.Failed: failed++; break;
                case null: conflicts++; break;
                default: skipped++; break;
            }
        }

        // First every item's new ciphertext, then all the writes at once (the source batches them); an item changed
        // since the read is settled one by one below.
        var writes = new List<RewrapWrite>(page.Items.Count);
        foreach (var item in page.Items)
        {
            var result = _rewrapper.Rewrap(target, item.Ciphertext, item.Context, from);
            if (result.Outcome == RewrapOutcome.Rewrapped)
            {
                writes.Add(new RewrapWrite(item, result.Ciphertext!));
            }
            else
            {
                Count(result.Outcome);
            }
        }

        var written = writes.Count == 0 ? [] : await source.WriteManyAsync(writes, cancellationToken);
        for (var i = 0; i < writes.Count; i++)
        {
            Count(written[i] ? RewrapOutcome.Rewrapped : await SettleChangedAsync(source, target, writes[i].Item.Id, from, cancellationToken));
        }

        // Counted by the activity that did the work; an item left by lost write races counts as failed (the page reports it as a conflict).
        _metrics?.RewrapItems(done, skipped, failed + conflicts);
        return new RewrapPageResult(done, skipped, failed, conflicts, page.Continuation);
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

    public async Task<VerifyPageResult> VerifyPageAsync(RewrapPageRequest request, CancellationToken cancellationToken)
    {
        var target = await _rewrapper.TargetAsync(request.Input.KeyId, cancellationToken, request.Input.Revocation);
        var page = await _sources.Open(request.Input.Source).ReadPageAsync(request.Continuation, PageSize, cancellationToken);
        var from = request.Input.FromVersions?.ToHashSet();
        // "Would be rewrapped" is exactly "still on a version the campaign moves off".
        var remaining = page.Items.Count(i => Rewrapper.Classify(target, i.Ciphertext, from, out _) == RewrapOutcome.Rewrapped);
        return new VerifyPageResult(remaining, page.Continuation);
    }
}
