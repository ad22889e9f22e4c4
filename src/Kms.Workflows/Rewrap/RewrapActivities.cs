using Kms.Core.Services;
using Microsoft.DurableTask;

namespace Kms.Workflows.Rewrap;

// Thin activities over RewrapSteps and KeyRotationSteps; Execute is what the Functions app's triggers call.

public sealed class CountRewrapItemsActivity(RewrapSteps steps) : TaskActivity<RewrapInput, long?>
{
    public override Task<long?> RunAsync(TaskActivityContext context, RewrapInput input) => Execute(steps, input);

    public static Task<long?> Execute(RewrapSteps steps, RewrapInput input) => steps.CountAsync(input, CancellationToken.None);
}

public sealed class RewrapPageActivity(RewrapSteps steps) : TaskActivity<RewrapPageRequest, RewrapPageResult>
{
    public override Task<RewrapPageResult> RunAsync(TaskActivityContext context, RewrapPageRequest input) => Execute(steps, input);

    public static Task<RewrapPageResult> Execute(RewrapSteps steps, RewrapPageRequest input) => steps.RewrapPageAsync(input, CancellationToken.None);
}

public sealed class VerifyRewrapPageActivity(RewrapSteps steps) : TaskActivity<RewrapPageRequest, VerifyPageResult>
{
    public override Task<VerifyPageResult> RunAsync(TaskActivityContext context, RewrapPageRequest input) => Execute(steps, input);

    public static Task<VerifyPageResult> Execute(RewrapSteps steps, RewrapPageRequest input) => steps.VerifyPageAsync(input, CancellationToken.None);
}

/// <summary>Disables the versions the campaign moved off (after a clean verification); returns their numbers.</summary>
public sealed class DisableOldVersionsActivity(KeyRotationSteps steps) : TaskActivity<RewrapInput, int[]>
{
    public override Task<int[]> RunAsync(TaskActivityContext context, RewrapInput input) => Execute(steps, input);

    public static Task<int[]> Execute(KeyRotationSteps steps, RewrapInput input) =>
        steps.DisableVersionsAsync(input.KeyId, input.FromVersions, input.Actor, CancellationToken.None);
}
