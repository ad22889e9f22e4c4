using Microsoft.DurableTask;

namespace Kms.Workflows.Engine.Tests;

/// <summary>Upper-cases the name, waits on a durable timer, then adds "!"; reports its stage in the custom status.</summary>
public sealed class GreetingOrchestrator : TaskOrchestrator<string, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, string input)
    {
        context.SetCustomStatus("upper");
        var upper = await context.CallActivityAsync<string>(nameof(UpperActivity), input);
        context.SetCustomStatus("timer");
        await context.CreateTimer(TimeSpan.FromSeconds(1), CancellationToken.None);
        context.SetCustomStatus("exclaim");
        var result = await context.CallActivityAsync<string>(nameof(ExclaimActivity), upper);
        context.SetCustomStatus("done");
        return result;
    }
}

public sealed record ApprovalInput(int TimeoutSeconds);

/// <summary>Waits for an "Approve" event carrying the approver's name, up to the given timeout.</summary>
public sealed class ApprovalOrchestrator : TaskOrchestrator<ApprovalInput, string>
{
    public const string EventName = "Approve";

    public override async Task<string> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
    {
        context.SetCustomStatus("waiting");
        try
        {
            var approver = await context.WaitForExternalEvent<string>(EventName, TimeSpan.FromSeconds(input.TimeoutSeconds));
            return $"approved by {approver}";
        }
        catch (TaskCanceledException)
        {
            return "timed out";
        }
    }
}

/// <summary>Waits on a durable timer of the given length, then runs one activity.</summary>
public sealed class TimerOrchestrator : TaskOrchestrator<int, string>
{
    public override async Task<string> RunAsync(TaskOrchestrationContext context, int seconds)
    {
        context.SetCustomStatus("timer");
        await context.CreateTimer(TimeSpan.FromSeconds(seconds), CancellationToken.None);
        return await context.CallActivityAsync<string>(nameof(UpperActivity), "after timer");
    }
}

public sealed class UpperActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(input.ToUpperInvariant());
}

public sealed class ExclaimActivity : TaskActivity<string, string>
{
    public override Task<string> RunAsync(TaskActivityContext context, string input) => Task.FromResult(input + "!");
}

public static class TestTasks
{
    public static void Register(DurableTaskRegistry registry)
    {
        registry.AddOrchestrator<GreetingOrchestrator>();
        registry.AddOrchestrator<ApprovalOrchestrator>();
        registry.AddOrchestrator<TimerOrchestrator>();
        registry.AddOrchestrator<SlowOrchestrator>();
        registry.AddActivity<SlowActivity>();
        registry.AddActivity<UpperActivity>();
        registry.AddActivity<ExclaimActivity>();
    }
}

/// <summary>Runs <see cref="SlowActivity"/> once and returns its result.</summary>
public sealed class SlowOrchestrator : TaskOrchestrator<string, string>
{
    public override Task<string> RunAsync(TaskOrchestrationContext context, string input) =>
        context.CallActivityAsync<string>(nameof(SlowActivity), context.InstanceId);
}

/// <summary>Takes a few seconds and counts its runs per instance id (the input), so a test can see a re-run.</summary>
public sealed class SlowActivity : TaskActivity<string, string>
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Runs = new();

    public static int RunsOf(string instanceId) => Runs.GetValueOrDefault(instanceId);

    public override async Task<string> RunAsync(TaskActivityContext context, string input)
    {
        Runs.AddOrUpdate(input, 1, (_, n) => n + 1);
        await Task.Delay(TimeSpan.FromSeconds(3));
        return "slow done";
    }
}
