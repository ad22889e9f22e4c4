using Kms.Core.Telemetry;
using Microsoft.DurableTask;

namespace Kms.Workflows.Operations;

/// <summary>How an operation ended, for the kms.operations.completed counter: <see cref="Completed"/> or <see cref="Failed"/>
/// (a cancelled one is terminated, so the cancel request counts it: see <see cref="OperationsService.CancelAsync"/>).</summary>
public sealed record OperationEnded(string Type, string Result)
{
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// Counts an operation's end. An activity, not orchestrator code: an orchestrator runs again on every replay and would
/// count each time, while an activity's execution is recorded in the history and not repeated.
/// </summary>
public sealed class RecordOperationEndedActivity(KmsMetrics metrics) : TaskActivity<OperationEnded, bool>
{
    public override Task<bool> RunAsync(TaskActivityContext context, OperationEnded input) => Execute(metrics, input);

    public static Task<bool> Execute(KmsMetrics metrics, OperationEnded input)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(input);
        metrics.OperationCompleted(input.Type, input.Result);
        return Task.FromResult(true);
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
            await context.CallActivityAsync<bool>(nameof(RecordOperationEndedActivity), new OperationEnded(type, result));
        }
        catch (TaskFailedException)
        {
            // A lost count must never change how the operation ends.
        }
    }
}
