using Kms.Core.Ports;

namespace Kms.Core.Audit;

/// <summary>Where a chain stops being trustworthy.</summary>
public sealed record AuditBreak(string ChainId, long Sequence, string Problem);

public sealed record AuditVerification(bool Valid, int Chains, long Records, IReadOnlyList<AuditBreak> Breaks);

/// <summary>
/// Walks every chain: sequence numbers must run 1, 2, 3... with no gap or repeat, each record must link to
/// the previous record's hash and hash to its own, and the latest signed checkpoint must verify and match a
/// stored record. Reports the first break of each chain.
/// </summary>
public sealed class AuditVerifier
{
    private readonly IAuditStore _store;
    private readonly AuditSigner _signer;

    public AuditVerifier(IAuditStore store, AuditSigner signer)
    {
        _store = store;
        _signer = signer;
    }

    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken)
    {
        var breaks = new List<AuditBreak>();
        var chains = await _store.ListChainsAsync(cancellationToken);
        long total = 0;
        foreach (var chain in chains.Order(StringComparer.Ordinal))
        {
            var (count, broken) = await VerifyChainAsync(chain, cancellationToken);
            total += count;
            if (broken is not null)
            {
                breaks.Add(broken);
            }
        }

        return new AuditVerification(breaks.Count == 0, chains.Count, total, breaks);
    }

    private async Task<(long Count, AuditBreak? Break)> VerifyChainAsync(string chain, CancellationToken cancellationToken)
    {
        // The checkpoint first: one written while we read records covers no record we could have missed.
        var checkpoint = await _store.GetLatestCheckpointAsync(chain, cancellationToken);
        long expected = 1;
        var previous = AuditHashing.Genesis;
        var hashes = new Dictionary<long, string>();
        await foreach (var record in _store.ReadChainAsync(chain, cancellationToken))
        {
            if (record.Sequence != expected)
            {
                return (expected - 1, new AuditBreak(chain, expected, record.Sequence > expected
                    ? $"record {expected} is missing (deleted): the next stored record is {record.Sequence}"
                    : $"record {record.Sequence} appears out of order after record {expected - 1}"));
            }

            if (record.PreviousHash != previous)
            {
                return (expected - 1, new AuditBreak(chain, expected, $"record {expected} does not link to record {expected - 1} (inserted or reordered)"));
            }

            if (AuditHashing.Hash(chain, record.Sequence, record.Entry, record.PreviousHash) != record.Hash)
            {
                return (expected - 1, new AuditBreak(chain, expected, $"record {expected} was modified: its contents do not match its hash"));
            }

            hashes[record.Sequence] = record.Hash;
            previous = record.Hash;
            expected++;
        }

        var count = expected - 1;
        if (checkpoint is null)
        {
            return (count, null);
        }

        if (!await _signer.VerifyAsync(checkpoint, cancellationToken))
        {
            return (count, new AuditBreak(chain, checkpoint.Sequence, $"the checkpoint at record {checkpoint.Sequence} has an invalid signature"));
        }

        if (checkpoint.Sequence > count)
        {
            return (count, new AuditBreak(chain, count + 1,
                $"records {count + 1} to {checkpoint.Sequence} are missing (deleted): a signed checkpoint covers them"));
        }

        return hashes[checkpoint.Sequence] != checkpoint.Hash
            ? (count, new AuditBreak(chain, checkpoint.Sequence, $"record {checkpoint.Sequence} differs from the signed checkpoint (the chain was rewritten)"))
            : (count, null);
    }
}
