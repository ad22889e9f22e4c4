using Kms.Testing;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Engine.Tests;

/// <summary>An orchestration outlives the host that started it: a later host on the same task hub finishes it.</summary>
public sealed class RestartTests
{
    [Fact]
    public async Task HostStopped_WhileOrchestrationWaitsOnTimer_NextHostOnSameHubCompletesIt()
    {
        var hub = LocalStack.UniqueName("wfr");
        var id = LocalStack.UniqueName("restart");
        var first = await EngineHost.StartAsync(hub);
        await first.ScheduleAsync<TimerOrchestrator>(id, 8);
        await first.WaitForAsync(id, m => m.ReadCustomStatusAs<string>() == "timer");

        await first.StopAsync();
        var second = await EngineHost.StartAsync(hub);
        OrchestrationMetadata done;
        try
        {
            done = await second.WaitForCompletionAsync(id);
        }
        finally
        {
            await second.StopAsync();
        }

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("AFTER TIMER", done.ReadOutputAs<string>());
        // A graceful stop (what Ctrl-C does) logs nothing at Error.
        Assert.Empty(first.ErrorLines());
        Assert.Empty(second.ErrorLines());
    }

    [Fact]
    public async Task HostStopped_WhileActivityRuns_ActivityFinishesBeforeStopAndIsNotRunAgain()
    {
        var hub = LocalStack.UniqueName("wfs");
        var id = LocalStack.UniqueName("slow");
        var first = await EngineHost.StartAsync(hub);
        await first.ScheduleAsync<SlowOrchestrator>(id, null);
        using (var started = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (SlowActivity.RunsOf(id) == 0)
            {
                await Task.Delay(50, started.Token);
            }
        }

        // A graceful stop lets the running activity finish and stores its result.
        await first.StopAsync();
        var second = await EngineHost.StartAsync(hub);
        OrchestrationMetadata done;
        try
        {
            done = await second.WaitForCompletionAsync(id);
        }
        finally
        {
            await second.StopAsync();
        }

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("slow done", done.ReadOutputAs<string>());
        Assert.Equal(1, SlowActivity.RunsOf(id));
        Assert.Empty(first.ErrorLines());
    }
}
