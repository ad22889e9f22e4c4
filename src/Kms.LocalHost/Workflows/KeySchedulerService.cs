using Kms.Workflows.Operations;
using Microsoft.DurableTask.Client;

namespace Kms.LocalHost.Workflows;

/// <summary>The local stand-in for the Functions app's timer trigger: scans the keys every interval (due rotations, deletions without their operation).</summary>
internal sealed partial class KeySchedulerService(KeyScheduler scheduler, DurableTaskClient client, TimeSpan interval,
    ILogger<KeySchedulerService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, stoppingToken);
                await scheduler.ScanAsync(client, stoppingToken);
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

    [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "Scanning the keys for due work failed; trying again at the next interval")]
    private partial void LogScanFailed(Exception exception);
}
