using Microsoft.DurableTask;

namespace Kms.Workflows.Approvals;

/// <summary>The external event an approval raises: who approved (authenticated and authorized by the API) and why.</summary>
public sealed record ApprovalSignal(string Principal, string? Comment);

/// <summary>One approval the operation counted.</summary>
public sealed record ApprovalEntry(string Principal, DateTime ApprovedAt, string? Comment);

/// <summary>Approvals as the status API shows them.</summary>
/// <param name="State"><c>pending</c> (not needed yet: approvals given now are counted), <c>waiting</c> (the operation waits
/// for them until <paramref name="ExpiresAt"/>), <c>approved</c>, or <c>expired</c>.</param>
public sealed record ApprovalProgress(int Required, string RequestedBy, IReadOnlyList<ApprovalEntry> Received, string State, DateTime? ExpiresAt);

/// <summary>
/// M-of-N approvals inside an orchestration, as external events named <see cref="EventName"/>. The orchestration is the
/// record of who approved: it counts distinct principals other than the requester and ignores anything else, so a
/// duplicate or a requester's approval that slipped past the API's own checks changes nothing. Events raised before the
/// orchestration listens are buffered by the engine and counted when it does. Deterministic: state lives in fields
/// rebuilt by replay.
/// </summary>
public sealed class ApprovalGate
{
    public const string EventName = "approval";
    public const string Pending = "pending", Waiting = "waiting", Approved = "approved", Expired = "expired";

    private readonly int _required;
    private readonly string _requestedBy;
    private readonly List<ApprovalEntry> _received = [];
    private string _state = Pending;
    private DateTime? _expiresAt;

    public ApprovalGate(int required, string requestedBy)
    {
        _required = required;
        _requestedBy = requestedBy;
    }

    public bool Satisfied => _received.Count >= _required;

    public ApprovalProgress Progress => new(_required, _requestedBy, [.. _received], _state, _expiresAt);

    /// <summary>Counts the approval unless it is the requester's or the principal has approved already; true when counted.</summary>
    public bool Accept(ApprovalSignal signal, DateTime at)
    {
        ArgumentNullException.ThrowIfNull(signal);
        if (string.IsNullOrEmpty(signal.Principal) || string.Equals(signal.Principal, _requestedBy, StringComparison.Ordinal)
            || _received.Any(a => string.Equals(a.Principal, signal.Principal, StringComparison.Ordinal)))
        {
            return false;
        }

        _received.Add(new ApprovalEntry(signal.Principal, at, signal.Comment));
        if (Satisfied)
        {
            _state = Approved;
        }

        return true;
    }

    /// <summary>Counts approvals as they arrive until <paramref name="until"/>, without waiting for them to be complete.</summary>
    public Task CollectUntilAsync(TaskOrchestrationContext context, DateTime until, Action report) => ListenAsync(context, until, false, report);

    /// <summary>Waits for the approvals still missing, at most until <paramref name="deadline"/>; true when they are all in.</summary>
    public async Task<bool> WaitAsync(TaskOrchestrationContext context, DateTime deadline, Action report)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!Satisfied)
        {
            _state = Waiting;
            _expiresAt = deadline;
            report();
            await ListenAsync(context, deadline, true, report);
        }

        _state = Satisfied ? Approved : Expired;
        report();
        return Satisfied;
    }

    private async Task ListenAsync(TaskOrchestrationContext context, DateTime until, bool stopWhenSatisfied, Action report)
    {
        ArgumentNullException.ThrowIfNull(context);
        while (context.CurrentUtcDateTime < until && !(stopWhenSatisfied && Satisfied))
        {
            using var cancel = new CancellationTokenSource();
            var approval = context.WaitForExternalEvent<ApprovalSignal>(EventName, cancel.Token);
            var timer = context.CreateTimer(until, cancel.Token);
            if (await Task.WhenAny(approval, timer) != approval)
            {
                cancel.Cancel();
                return;
            }

            // Stop the timer of this round; the next round makes a new one for the same moment.
            cancel.Cancel();
            if (Accept(await approval, context.CurrentUtcDateTime))
            {
                report();
            }
        }
    }
}
