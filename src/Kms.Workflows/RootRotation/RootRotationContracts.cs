using Kms.Core.Services;

namespace Kms.Workflows.RootRotation;

/// <summary>What starts a root-key rotation: who asked (authorized at the start) and how long to wait after the switch.</summary>
/// <param name="GraceSeconds">Wait between the switch and the final sweep (<c>Kms:RootRotationGracePeriod</c> when it started).</param>
public sealed record RootRotationInput(string RequestedBy, string? RequestId, double GraceSeconds);

/// <summary>The rotation's running state, carried across ContinueAsNew. Labels are names of HSM objects, never material.</summary>
/// <param name="Phase">One of the <see cref="RootRotationOrchestrator"/> step names.</param>
/// <param name="Pass">1 for the rewrap sweep, 2 for the final sweep that also verifies.</param>
/// <param name="Failed">Blobs that did not rewrap or verify in the current pass.</param>
public sealed record RootRotationState(string Phase, RootRotationRoots? Roots, string? Continuation, int Pass, long Rewrapped, long Skipped, long Failed,
    DateTime StartedAt);

/// <summary>The input of every run: the rotation, and (after the first run) its state and checkpoints so far.</summary>
public sealed record RootRotationRun(RootRotationInput Input, RootRotationState? State = null, IReadOnlyList<string>? Checkpoints = null);

/// <summary>One page of a sweep to <paramref name="NewRoot"/>; <paramref name="Verify"/> in the final sweep.</summary>
public sealed record RootSweepRequest(string NewRoot, string? Continuation, bool Verify);

/// <summary>The result of a completed rotation: the root now in use and the roots destroyed.</summary>
public sealed record RootRotationOutput(string RootKeyLabel, IReadOnlyList<string> Retired, long Rewrapped);

/// <summary>Ends a rotation whose final sweep found blobs that do not unwrap under the new root; the old root is kept.</summary>
public sealed class RootRotationIncompleteException(string message) : Exception(message);
