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
        foreach (var read in page.Items)
        {
            var item = read;
            var settled = false;
            for (var attempt = 1; attempt <= WriteAttempts && !settled; attempt++)
            {
                var result = _rewrapper.Rewrap(target, item.Ciphertext, item.Context, from);
                switch (result.Outcome)
                {
                    case RewrapOutcome.AlreadyCurrent or RewrapOutcome.NotSelected:
                        skipped++;
                        settled = true;
                        break;
                    case RewrapOutcome.Failed:
                        failed++;
                        settled = true;
                        break;
                    default:
                        if (await source.WriteAsync(item, result.Ciphertext!, cancellationToken))
                        {
                            done++;
                            settled = true;
                        }
                        else if (await source.ReadItemAsync(item.Id, cancellationToken) is { } fresh)
                        {
                            // Someone wrote it meanwhile: start again from what they wrote.
                            item = fresh;
                        }
                        else
                        {
                            skipped++;
                            settled = true;
                        }

                        break;
                }
            }

            if (!settled)
            {
                conflicts++;
            }
        }

        // Counted by the activity that did the work; an item left by lost write races counts as failed (the page reports it as a conflict).
        _metrics?.RewrapItems(done, skipped, failed + conflicts);
        return new RewrapPageResult(done, skipped, failed, conflicts, page.Continuation);
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
