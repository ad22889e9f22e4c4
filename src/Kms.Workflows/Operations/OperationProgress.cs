namespace Kms.Workflows.Operations;

/// <summary>
/// An operation's custom status: the step it is on, the checkpoints it has passed and the last error. Written by the
/// orchestrator at each step; it is in the orchestration history, so it never holds key material or data.
/// </summary>
/// <param name="Progress">Item counts of a rewrap campaign; null for other operations.</param>
public sealed record OperationProgress(string Step, IReadOnlyList<string> Checkpoints, int? Version = null, string? Error = null,
    Rewrap.RewrapProgress? Progress = null)
{
    public OperationProgress Next(string step) => this with { Step = step };

    public OperationProgress Passed(string checkpoint) => this with { Checkpoints = [.. Checkpoints, checkpoint] };
}
