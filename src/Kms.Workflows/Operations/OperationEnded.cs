using Kms.Core.Telemetry;
using Microsoft.DurableTask;

namespace Kms.Workflows.Operations;

/// <summary>How an operation ended, for the kms.operations.completed counter: <see cref="Completed"/> or <see cref="Failed"/>
/// (a cancelled one is terminated, so the cancel request counts it: see <see cref="OperationsService.CancelAsync"/>).</summary>
/// <param name="OperationId">The orchestration instance: a re-delivered activity for the same operation is not counted again.
/// Null in histories written before it existed (then every delivery counts).</param>
public sealed record OperationEnded(string Type, string Result, string? OperationId = null)
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// Counts an operation's end. An activity, not orchestrator code: an orchestrator runs again on every replay and would
/// count each time, while a completed activity's result is recorded in the history and not repeated. Activities are
/// still delivered at least once (a result lost in a crash, a run longer than the work-item visibility timeout), so the
/// operations this process counted are remembered and a second delivery counts nothing. The counter lives in the
/// process like this memory: a delivery to another process after a crash counts there, where the first count died.
/// </summary>
public sealed class RecordOperationEndedActivity(KmsMetrics metrics) : TaskActivity<OperationEnded, bool>
{
    private static readonly RecentIds Counted = new(4096);

    public override Task<bool> RunAsync(TaskActivityContext context, OperationEnded input) => Execute(metrics, input);

    /// <summary>Counts the end; false when this process already counted this operation's end.</summary>
    public static Task<bool> Execute(KmsMetrics metrics, OperationEnded input)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(input);
        if (input.OperationId is { } id && !Counted.Add(metrics, id))
        {
            return Task.FromResult(false);
        }

        metrics.OperationCompleted(input.Type, input.Result);
        return Task.FromResult(true);
    }

    /// <summary>The last <c>capacity</c> ids seen per <see cref="KmsMetrics"/> instance (one per host), oldest forgotten first.</summary>
    private sealed class RecentIds(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<(KmsMetrics, string)> _seen = [];
        private readonly Queue<(KmsMetrics, string)> _order = new();

        public bool Add(KmsMetrics owner, string id)
        {
            lock (_gate)
            {
                if (!_seen.Add((owner, id)))
                {
                    return false;
                }

                _order.Enqueue((owner, id));
                if (_order.Count > capacity)
                {
                    _seen.Remove(_order.Dequeue());
                }

                return true;
            }
        }
    }
}

/// <summary>Wraps an orchestrator's run so its end is counted once, by <see cref="RecordOperationEndedActivity"/>.</summary>
internal static class OperationEnd
{
    /// <summary>
    /// Runs <paramref name="body"/>; when it returns (and <paramref name="continuedAsNew"/> says the run did not just hand
    /// over to its next generation) counts the operation completed, when it throws counts it failed and rethrows.
    /// </summary>
    public static async Task<T> TrackAsync<T>(TaskOrchestrationContext context, string type, Func<Task<T>> body, Func<T, bool>? continuedAsNew = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(body);
        T result;
        try
        {
            result = await body();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RecordAsync(context, type, OperationEnded.Failed);
            throw;
        }

        if (continuedAsNew?.Invoke(result) != true)
        {
            await RecordAsync(context, type, OperationEnded.Completed);
        }

        return result;
    }

    private static async Task RecordAsync(TaskOrchestrationContext context, string type, string result)
    {
        try
        {
            await context.CallActivityAsync<bool>(nameof(RecordOperationEndedActivity), new OperationEnded(type, result, context.InstanceId));
        }
        catch (TaskFailedException)
        {
            // A lost count must never change how the operation ends.
        }
    }
}
