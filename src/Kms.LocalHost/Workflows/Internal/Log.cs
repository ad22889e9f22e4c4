namespace Kms.LocalHost.Workflows.Internal;

/// <summary>Log events of the local workflow engine (event ids 6100-6199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 6100, Level = LogLevel.Information,
        Message = "Local workflow engine ready: task hub {TaskHubName}, {PartitionCount} partition(s), activities may run up to {WorkItemVisibilityTimeout}")]
    public static partial void EngineReady(this ILogger logger, string taskHubName, int partitionCount, TimeSpan workItemVisibilityTimeout);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information,
        Message = "Local workflow engine stopping: no new work is taken; waiting for {InFlightCount} work item(s) in progress")]
    public static partial void Draining(this ILogger logger, int inFlightCount);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning,
        Message = "Local workflow engine stopped with {InFlightCount} work item(s) unfinished; they run again after their visibility timeout")]
    public static partial void DrainIncomplete(this ILogger logger, int inFlightCount);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "Local workflow engine stopped: task hub {TaskHubName}")]
    public static partial void EngineStopped(this ILogger logger, string taskHubName);

    [LoggerMessage(EventId = 6104, Level = LogLevel.Warning, Message = "Releasing the task hub's leases failed while stopping; another host takes them over when they expire")]
    public static partial void BackendStopFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6105, Level = LogLevel.Debug, Message = "Workflow sidecar listening on unix socket {SocketPath}")]
    public static partial void SidecarListening(this ILogger logger, string socketPath);
}
