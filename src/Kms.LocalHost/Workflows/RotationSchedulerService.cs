using Kms.Workflows.Rotation;
using Microsoft.DurableTask.Client;

namespace Kms.LocalHost.Workflows;

/// <summary>The local stand-in for the Functions app's timer trigger: scans for due rotations every interval.</summary>
internal sealed partial class RotationSchedulerService(RotationScheduler scheduler, DurableTaskClient client, TimeSpan interval,
    ILogger<RotationSchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                await scheduler.StartDueRotationsAsync(client, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage or the engine briefly away: the next scan finds the same due keys.
                LogScanFailed(e);
            }
        }
    }

    [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "Scanning for due rotations failed; trying again at the next interval")]
    private partial void LogScanFailed(Exception exception);
}
