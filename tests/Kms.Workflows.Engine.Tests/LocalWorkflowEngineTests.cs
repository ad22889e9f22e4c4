using Kms.Testing;
using Microsoft.DurableTask.Client;

namespace Kms.Workflows.Engine.Tests;

/// <summary>Client features a workflow uses, against one engine host on a task hub of its own.</summary>
public sealed class LocalWorkflowEngineTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    private readonly EngineHost _engine = fixture.Host;

    private static string NewId(string prefix) => LocalStack.UniqueName(prefix);

    [Fact]
    public async Task Orchestration_TwoActivitiesAndTimer_CompletesWithOutputAndCustomStatus()
    {
        var id = NewId("greet");

        await _engine.ScheduleAsync<GreetingOrchestrator>(id, "world");
        var done = await _engine.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("WORLD!", done.ReadOutputAs<string>());
        Assert.Equal("done", done.ReadCustomStatusAs<string>());
        Assert.Equal(nameof(GreetingOrchestrator), done.Name);
    }

    [Fact]
    public async Task ExternalEvent_RaisedWhileWaiting_IsReceived()
    {
        var id = NewId("approve");
        await _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 300));
        await _engine.WaitForAsync(id, m => m.ReadCustomStatusAs<string>() == "waiting");

        await _engine.Client.RaiseEventAsync(id, ApprovalOrchestrator.EventName, "alice");
        var done = await _engine.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("approved by alice", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task ExternalEvent_NeverRaised_WaitTimesOut()
    {
        var id = NewId("expire");

        await _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 2));
        var done = await _engine.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("timed out", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task SuspendResume_EventWhileSuspended_IsHandledOnlyAfterResume()
    {
        var id = NewId("suspend");
        await _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 300));
        await _engine.WaitForAsync(id, m => m.ReadCustomStatusAs<string>() == "waiting");

        await _engine.Client.SuspendInstanceAsync(id, "paused by test");
        await _engine.WaitForStatusAsync(id, OrchestrationRuntimeStatus.Suspended);
        await _engine.Client.RaiseEventAsync(id, ApprovalOrchestrator.EventName, "bob");
        // The event is queued, not handled: the instance stays suspended.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var suspended = await _engine.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        await _engine.Client.ResumeInstanceAsync(id, "go on");
        var done = await _engine.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Suspended, suspended!.RuntimeStatus);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("approved by bob", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Terminate_RunningInstance_EndsTerminatedWithReason()
    {
        var id = NewId("terminate");
        await _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 300));
        await _engine.WaitForStatusAsync(id, OrchestrationRuntimeStatus.Running);

        await _engine.Client.TerminateInstanceAsync(id, "stopped by test");
        var done = await _engine.WaitForCompletionAsync(id);

        Assert.Equal(OrchestrationRuntimeStatus.Terminated, done.RuntimeStatus);
        Assert.Equal("stopped by test", done.ReadOutputAs<string>());
    }

    [Fact]
    public async Task Schedule_IdOfRunningInstance_IsRefused()
    {
        var id = NewId("dup");
        await _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 300));
        await _engine.WaitForStatusAsync(id, OrchestrationRuntimeStatus.Running);

        var error = await Record.ExceptionAsync(() => _engine.ScheduleAsync<ApprovalOrchestrator>(id, new ApprovalInput(TimeoutSeconds: 300)));
        await _engine.Client.TerminateInstanceAsync(id, "cleanup");

        Assert.NotNull(error);
    }

    [Fact]
    public async Task Query_ByPrefixAndStatus_ReturnsOnlyMatchingInstances()
    {
        var prefix = NewId("query") + "-";
        var completed = prefix + "completed";
        var running = prefix + "running";
        var other = NewId("other");
        await _engine.ScheduleAsync<ApprovalOrchestrator>(completed, new ApprovalInput(TimeoutSeconds: 0));
        await _engine.ScheduleAsync<ApprovalOrchestrator>(running, new ApprovalInput(TimeoutSeconds: 300));
        await _engine.ScheduleAsync<ApprovalOrchestrator>(other, new ApprovalInput(TimeoutSeconds: 0));
        await _engine.WaitForCompletionAsync(completed);
        await _engine.WaitForCompletionAsync(other);
        await _engine.WaitForStatusAsync(running, OrchestrationRuntimeStatus.Running);

        var completedHits = await QueryAsync(prefix, OrchestrationRuntimeStatus.Completed);
        var runningHits = await QueryAsync(prefix, OrchestrationRuntimeStatus.Running);
        var allHits = await QueryAsync(prefix, OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Running);
        await _engine.Client.TerminateInstanceAsync(running, "cleanup");

        var hit = Assert.Single(completedHits);
        Assert.Equal(completed, hit.InstanceId);
        Assert.Equal("timed out", hit.ReadOutputAs<string>());
        Assert.Equal(running, Assert.Single(runningHits).InstanceId);
        Assert.Equal([completed, running], allHits.Select(m => m.InstanceId).Order(StringComparer.Ordinal));
    }

    private async Task<List<OrchestrationMetadata>> QueryAsync(string prefix, params OrchestrationRuntimeStatus[] statuses)
    {
        var query = new OrchestrationQuery
        {
            InstanceIdPrefix = prefix,
            Statuses = statuses,
            FetchInputsAndOutputs = true,
            PageSize = 50,
        };
        var hits = new List<OrchestrationMetadata>();
        await foreach (var metadata in _engine.Client.GetAllInstancesAsync(query))
        {
            hits.Add(metadata);
        }

        return hits;
    }
}
