using Kms.Core.Services;
using Kms.Workflows.Rotation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Kms.Functions;

/// <summary>
/// The orchestrations and activities of Kms.Workflows as Durable Functions: each trigger runs the same class the local
/// engine registers (<see cref="Kms.Workflows.KmsWorkflows"/>); function names equal the class names, and a test
/// proves functions.metadata declares every one.
/// </summary>
public sealed class KmsWorkflowFunctions(KeyRotationSteps steps)
{
    [Function(nameof(RotationOrchestrator))]
    public static Task<RotationOutput> Rotation([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new RotationOrchestrator().RunAsync(context, context.GetInput<RotationInput>()
            ?? throw new InvalidOperationException("The rotation has no input."));

    [Function(nameof(CreateStandbyVersionActivity))]
    public Task<StandbyVersion> CreateStandbyVersion([ActivityTrigger] RotationStep input) => CreateStandbyVersionActivity.Execute(steps, input);

    [Function(nameof(ProbeVersionActivity))]
    public Task<ProbeResult> ProbeVersion([ActivityTrigger] RotationStep input) => ProbeVersionActivity.Execute(steps, input);

    [Function(nameof(PromoteVersionActivity))]
    public Task<bool> PromoteVersion([ActivityTrigger] RotationStep input) => PromoteVersionActivity.Execute(steps, input);

    [Function(nameof(RollBackRotationActivity))]
    public Task<bool> RollBackRotation([ActivityTrigger] RotationStep input) => RollBackRotationActivity.Execute(steps, input);
}
