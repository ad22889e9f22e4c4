using Kms.Core;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Core.Telemetry;
using Kms.Workflows.Approvals;
using Kms.Workflows.Deletion;
using Kms.Workflows.Revocation;
using Kms.Workflows.Rewrap;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using OperationPage = Kms.Core.Page<Kms.Workflows.Operations.OperationView>;

namespace Kms.Workflows.Operations;

/// <summary>An operation as the status API shows it.</summary>
public sealed record OperationView(
    string OperationId,
    string Type,
    string? KeyId,
    string State,
    string? Step,
    IReadOnlyList<string> Checkpoints,
    int? Version,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastUpdatedAt,
    RewrapProgress? Progress = null,
    ApprovalProgress? Approvals = null,
    TimeToRevoke? TimeToRevoke = null,
    IReadOnlyList<string>? Related = null)
{
    /// <summary>When the operation ended (its last update, once it is COMPLETED, FAILED or CANCELED); null while it runs.</summary>
    public DateTimeOffset? CompletedAt => State is "COMPLETED" or "FAILED" or "CANCELED" ? LastUpdatedAt : null;
}

/// <summary>Operation kinds and their instance-id prefixes.</summary>
public static class OperationTypes
{
    public const string Rotation = "rotation";
    public const string Rewrap = "rewrap";
    public const string Revocation = "revocation";
    public const string Deletion = "deletion";

    /// <summary>Root-key rotation: ids <c>rootrotation-{time}-{random}</c>, no key.</summary>
    public const string RootRotation = "rootrotation";

    public static IReadOnlyList<string> All { get; } = [Rotation, Rewrap, Revocation, Deletion, RootRotation];
}

/// <summary>
/// Starts operations and answers the status API over a <see cref="DurableTaskClient"/> (DI locally, the [DurableClient]
/// binding in Functions). Instance ids are <c>{type}-{keyId}-{time}-{random}</c>, so listing by type and key is a
/// prefix query and the key is known without reading the input.
/// </summary>
public sealed class OperationsService
{
    public const int MaxSources = 10;
    public const int MaxCommentLength = 512;

    private static readonly OrchestrationRuntimeStatus[] InProgress =
        [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended];

    private readonly IKeyStore _keys;
    private readonly IAccessGuard _access;
    private readonly IRewrapSources _sources;
    private readonly Rewrapper _rewrapper;
    private readonly KeyRevocationSteps _revocation;
    private readonly TimeProvider _time;
    private readonly KmsOptions _options;
    private readonly KmsMetrics? _metrics;

    public OperationsService(IKeyStore keys, IAccessGuard access, IRewrapSources sources, Rewrapper rewrapper, KeyRevocationSteps revocation,
        TimeProvider time, IOptions<KmsOptions> options, KmsMetrics? metrics = null)
    {
        _metrics = metrics;
        _keys = keys;
        _access = access;
        _sources = sources;
        _rewrapper = rewrapper;
        _revocation = revocation;
        _time = time;
        _options = options.Value;
    }

    /// <summary>Starts a staged rotation of the key; refused while another rotation of it is in progress.</summary>
    /// <param name="rewrapSources">Stored data to rewrap onto the new version once it is primary (a campaign each, also
    /// needing <c>kms:Rewrap</c>); null or empty for none.</param>
    public async Task<OperationView> StartRotationAsync(DurableTaskClient client, string keyId, CancellationToken cancellationToken,
        IReadOnlyList<RewrapSourceSpec>? rewrapSources = null, bool disableOldVersions = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(KmsActions.RotateKey, key.KeyId, null, cancellationToken);
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.KeyPendingDeletion(key.KeyId);
        }

        RewrapAfterRotation? rewrap = null;
        if (rewrapSources is { Count: > 0 })
        {
            await _access.DemandAsync(KmsActions.Rewrap, key.KeyId, null, cancellationToken);
            ValidateSources(key, rewrapSources);
            rewrap = new RewrapAfterRotation([.. rewrapSources], disableOldVersions);
        }

        var id = await StartAsync(client, OperationTypes.Rotation, key.KeyId, nameof(RotationOrchestrator),
            new RotationInput(key.KeyId, _access.Principal, _access.RequestId, rewrap), cancellationToken);
        return new OperationView(id, OperationTypes.Rotation, key.KeyId, "PENDING", RotationSteps.CreateVersion, [], null, null, _time.GetUtcNow(),
            _time.GetUtcNow());
    }

    /// <summary>Starts a rewrap campaign of the key's items in <paramref name="source"/>; one campaign per key at a time.</summary>
    public async Task<OperationView> StartRewrapAsync(DurableTaskClient client, string keyId, int[]? fromVersions, RewrapSourceSpec source,
        bool disableOldVersions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(KmsActions.Rewrap, key.KeyId, null, cancellationToken);
        _sources.Validate(source);
        await _rewrapper.TargetAsync(key.KeyId, cancellationToken);
        if (fromVersions is { Length: > 0 } && fromVersions.Any(v => v < 1 || v > key.LatestVersion || v == key.PrimaryVersion))
        {
            throw KmsErrors.Validation($"'fromVersions' must name existing versions other than the primary ({key.PrimaryVersion}).");
        }

        var input = new RewrapInput(key.KeyId, fromVersions is { Length: > 0 } ? fromVersions : null, source, disableOldVersions, _access.Principal,
            _access.RequestId);
        var id = await StartAsync(client, OperationTypes.Rewrap, key.KeyId, nameof(RewrapOrchestrator), new RewrapRun(input), cancellationToken);
        return new OperationView(id, OperationTypes.Rewrap, key.KeyId, "PENDING", RewrapOrchestrator.Counting, [], null, null, _time.GetUtcNow(),
            _time.GetUtcNow());
    }

    /// <summary>
    /// Emergency revocation: the versions are revoked by this request, before it answers (so they are refused from the
    /// moment the caller hears back), and the orchestration does the rest. Revocations are never refused for another
    /// operation in progress: an emergency does not wait.
    /// </summary>
    public async Task<OperationView> StartRevocationAsync(DurableTaskClient client, string keyId, IReadOnlyCollection<int>? versions, string? reason,
        IReadOnlyList<RewrapSourceSpec>? sources, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var requestedAt = _time.GetUtcNow();
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(KmsActions.RevokeKeyVersion, key.KeyId, null, cancellationToken);
        var numbers = KeyRevocationSteps.Validate(key, versions, reason);
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.KeyPendingDeletion(key.KeyId);
        }

        sources ??= [];
        ValidateSources(key, sources);

        var id = NewOperationId(OperationTypes.Revocation, key.KeyId);
        var actor = new Actor(_access.Principal, _access.RequestId);
        var revoked = await _revocation.RevokeAsync(key.KeyId, numbers, reason!, id, actor, cancellationToken);
        var input = new RevocationInput(key.KeyId, numbers, reason!, [.. sources], actor.Principal, actor.RequestId, requestedAt.UtcDateTime, revoked,
            _options.RequiredApprovals, _options.ApprovalLifetime);
        // Time to revoke (SLI M10) ends here: the versions are refused from this point on. Measured in this request, not in
        // the orchestration (whose replays would count it again); its activity only revokes again, idempotently.
        _metrics?.RevocationCompleted(revoked.RevokedAt - requestedAt);
        await CallAsync(() => client.ScheduleNewOrchestrationInstanceAsync(nameof(RevocationOrchestrator), input,
            new StartOrchestrationOptions { InstanceId = id }, cancellationToken));
        _metrics?.OperationStarted(OperationTypes.Revocation);
        var now = _time.GetUtcNow();
        return new OperationView(id, OperationTypes.Revocation, key.KeyId, "PENDING", RevocationSteps.Announce, [RevocationSteps.Revoked], null, null, now,
            now, TimeToRevoke: new TimeToRevoke((revoked.RevokedAt - requestedAt).TotalMilliseconds, null));
    }

    /// <summary>Sources another operation rewraps (at most <see cref="MaxSources"/>; the key must encrypt).</summary>
    private void ValidateSources(KeyRecord key, IReadOnlyList<RewrapSourceSpec> sources)
    {
        if (sources.Count > MaxSources)
        {
            throw KmsErrors.Validation($"An operation rewraps at most {MaxSources} sources.");
        }

        if (sources.Count > 0 && key.Usage != KeyUsage.EncryptDecrypt)
        {
            throw KmsErrors.IncorrectKeyUsage(key.KeyId, key.Usage, "rewrap");
        }

        foreach (var source in sources)
        {
            _sources.Validate(source);
        }
    }

    /// <summary>The id of the deletion operation of a key scheduled for deletion at <paramref name="deletionDate"/>.</summary>
    public static string DeletionOperationId(string keyId, DateTimeOffset deletionDate) =>
        $"{OperationTypes.Deletion}-{keyId}-{deletionDate.UtcDateTime:yyyyMMddTHHmmssfff}";

    /// <summary>
    /// Makes sure the key's scheduled deletion has its operation (the durable timer): started once per deletion date,
    /// whoever asks (the schedule request, or the scheduler's scan after a failure). Null when the key is not pending deletion.
    /// </summary>
    public async Task<string?> EnsureDeletionAsync(DurableTaskClient client, KeyRecord key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(key);
        if (key.State != KeyState.PendingDeletion || key.DeletionDate is not { } date)
        {
            return null;
        }

        var id = DeletionOperationId(key.KeyId, date);
        var input = new DeletionInput(key.KeyId, date, key.DeletionRequestedBy ?? "unknown", null, _options.RequiredApprovals, _options.ApprovalLifetime);
        return await CallAsync(async () =>
        {
            if (await client.ScheduleOnceAsync(nameof(DeletionOrchestrator), input, id, cancellationToken))
            {
                _metrics?.OperationStarted(OperationTypes.Deletion);
            }

            return id;
        });
    }

    /// <summary>Stops the key's deletion operations that are still waiting (its deletion was cancelled).</summary>
    public async Task StopDeletionAsync(DurableTaskClient client, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await CallAsync(async () =>
        {
            var waiting = client.GetAllInstancesAsync(new OrchestrationQuery
            {
                InstanceIdPrefix = $"{OperationTypes.Deletion}-{KeyIdentifiers.RequireKeyId(keyId)}-", Statuses = InProgress,
            });
            await foreach (var instance in waiting.WithCancellation(cancellationToken))
            {
                await client.TerminateInstanceAsync(instance.InstanceId, $"deletion canceled by {_access.Principal}", cancellationToken);
                // A terminated orchestration runs no more code: the request that ends it counts it.
                _metrics?.OperationCompleted(OperationTypes.Deletion, OperationEnded.Cancelled);
            }

            return true;
        });
    }

    /// <summary>
    /// Adds the caller's approval to an operation that needs approvals (raised as an external event). Refused for the
    /// principal who requested the operation and for one who approved already; the orchestration applies the same rules.
    /// </summary>
    public async Task<OperationView> ApproveAsync(DurableTaskClient client, string operationId, string? comment, CancellationToken cancellationToken)
    {
        var (metadata, view) = await ReadAsync(client, operationId, cancellationToken);
        await _access.DemandAsync(KmsActions.Approve, view.KeyId, null, cancellationToken);
        if (comment is { Length: > MaxCommentLength })
        {
            throw KmsErrors.Validation($"'comment' is longer than {MaxCommentLength} characters.");
        }

        if (view.Approvals is not { State: ApprovalGate.Pending or ApprovalGate.Waiting } approvals || !InProgress.Contains(metadata.RuntimeStatus))
        {
            throw KmsErrors.OperationConflict($"Operation '{operationId}' is not collecting approvals.");
        }

        var principal = _access.Principal;
        if (string.Equals(approvals.RequestedBy, principal, StringComparison.Ordinal))
        {
            throw KmsErrors.ApprovalNotAllowed("The principal who requested a destructive operation cannot approve it.");
        }

        if (approvals.Received.Any(a => string.Equals(a.Principal, principal, StringComparison.Ordinal)))
        {
            throw KmsErrors.ApprovalNotAllowed($"'{principal}' has already approved this operation.");
        }

        await CallAsync(async () =>
        {
            await client.RaiseEventAsync(operationId, ApprovalGate.EventName, new ApprovalSignal(principal, comment), cancellationToken);
            return true;
        });
        return view;
    }

    public async Task<OperationView> GetAsync(DurableTaskClient client, string operationId, CancellationToken cancellationToken)
    {
        var (_, view) = await ReadAsync(client, operationId, cancellationToken);
        await _access.DemandAsync(KmsActions.ReadOperation, view.KeyId, null, cancellationToken);
        return view;
    }

    /// <summary>Operations, newest instance ids first within a page as the engine returns them; filters are optional.</summary>
    public async Task<OperationPage> ListAsync(DurableTaskClient client, string? type, string? keyId, string? state, int pageSize,
        string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        await _access.DemandAsync(KmsActions.ListOperations, null, null, cancellationToken);
        if (type is not null && !OperationTypes.All.Contains(type))
        {
            throw KmsErrors.Validation($"Unknown operation type '{Short(type)}'. Expected one of: {string.Join(", ", OperationTypes.All)}.");
        }

        if (keyId is not null && type is null)
        {
            throw KmsErrors.Validation("Filtering by 'keyId' needs 'type' too.");
        }

        var prefix = type is null ? null : keyId is null ? type + "-" : $"{type}-{KeyIdentifiers.RequireKeyId(keyId)}-";
        var statuses = state is null ? null : new[] { ParseState(state) };
        return await CallAsync(async () =>
        {
            var query = new OrchestrationQuery
            {
                InstanceIdPrefix = prefix,
                Statuses = statuses,
                PageSize = pageSize,
                ContinuationToken = continuationToken,
                // The custom status (step, checkpoints) is part of "inputs and outputs" for the engine.
                FetchInputsAndOutputs = true,
            };
            await foreach (var page in client.GetAllInstancesAsync(query).AsPages(continuationToken, pageSize).WithCancellation(cancellationToken))
            {
                return new OperationPage(page.Values.Where(m => Parse(m.InstanceId) is not null).Select(ToView).ToArray(), page.ContinuationToken);
            }

            return new OperationPage([], null);
        });
    }

    public Task<OperationView> PauseAsync(DurableTaskClient client, string operationId, CancellationToken cancellationToken) =>
        ControlAsync(client, operationId, [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending], "paused only while running",
            (c, id) => c.SuspendInstanceAsync(id, $"paused by {_access.Principal}", cancellationToken), cancellationToken);

    public Task<OperationView> ResumeAsync(DurableTaskClient client, string operationId, CancellationToken cancellationToken) =>
        ControlAsync(client, operationId, [OrchestrationRuntimeStatus.Suspended], "resumed only while paused",
            (c, id) => c.ResumeInstanceAsync(id, $"resumed by {_access.Principal}", cancellationToken), cancellationToken);

    /// <summary>
    /// Stops the operation where it is. Each step is atomic, so the key is left consistent (see docs/workflows.md). A
    /// deletion is stopped by cancelling the key's deletion instead, which also puts the key back to Disabled.
    /// </summary>
    public Task<OperationView> CancelAsync(DurableTaskClient client, string operationId, CancellationToken cancellationToken) =>
        operationId?.StartsWith(OperationTypes.Deletion + "-", StringComparison.Ordinal) == true && Parse(operationId) is { KeyId: { } key }
            ? throw KmsErrors.OperationConflict($"A scheduled deletion is stopped by cancelling it: POST /api/keys/{key}/cancel-deletion.")
            : ControlAsync(client, operationId!,
            [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended], "canceled only before it ends",
            async (c, id) =>
            {
                await c.TerminateInstanceAsync(id, $"canceled by {_access.Principal}", cancellationToken);
                // A terminated orchestration runs no more code: the request that ends it counts it.
                if (Parse(id) is { } parsed)
                {
                    _metrics?.OperationCompleted(parsed.Type, OperationEnded.Cancelled);
                }
            }, cancellationToken);

    /// <summary>Schedules the orchestration unless one of the same type for the key is still in progress.</summary>
    private async Task<string> StartAsync(DurableTaskClient client, string type, string keyId, string orchestrator, object input,
        CancellationToken cancellationToken)
    {
        var prefix = $"{type}-{keyId}-";
        var id = NewOperationId(type, keyId);
        return await CallAsync(async () =>
        {
            var running = client.GetAllInstancesAsync(new OrchestrationQuery
            {
                InstanceIdPrefix = prefix,
                Statuses = InProgress,
                PageSize = 1,
            });
            await foreach (var other in running.WithCancellation(cancellationToken))
            {
                throw KmsErrors.OperationConflict($"Operation '{other.InstanceId}' of key '{keyId}' is still in progress.");
            }

            var started = await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions { InstanceId = id },
                cancellationToken);
            _metrics?.OperationStarted(type);
            return started;
        });
    }

    private string NewOperationId(string type, string keyId) =>
        $"{type}-{keyId}-{_time.GetUtcNow():yyyyMMddTHHmmssfff}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task<OperationView> ControlAsync(DurableTaskClient client, string operationId, OrchestrationRuntimeStatus[] allowed, string rule,
        Func<DurableTaskClient, string, Task> control, CancellationToken cancellationToken)
    {
        var (metadata, view) = await ReadAsync(client, operationId, cancellationToken);
        await _access.DemandAsync(KmsActions.ControlOperation, view.KeyId, null, cancellationToken);
        if (!allowed.Contains(metadata.RuntimeStatus))
        {
            throw KmsErrors.OperationConflict($"Operation '{operationId}' is {view.State}; it can be {rule}.");
        }

        await CallAsync(async () =>
        {
            await control(client, operationId);
            return true;
        });
        return (await ReadAsync(client, operationId, cancellationToken)).View;
    }

    private static async Task<(OrchestrationMetadata Metadata, OperationView View)> ReadAsync(DurableTaskClient client, string operationId,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (string.IsNullOrEmpty(operationId) || Parse(operationId) is null)
        {
            throw KmsErrors.OperationNotFound(operationId ?? "");
        }

        var metadata = await CallAsync(() => client.GetInstanceAsync(operationId, getInputsAndOutputs: true, cancellationToken))
            ?? throw KmsErrors.OperationNotFound(operationId);
        return (metadata, ToView(metadata));
    }

    private static OperationView ToView(OrchestrationMetadata metadata)
    {
        var (type, keyId) = Parse(metadata.InstanceId) ?? ("unknown", null);
        OperationProgress? progress = null;
        try
        {
            progress = metadata.ReadCustomStatusAs<OperationProgress>();
        }
        catch (System.Text.Json.JsonException)
        {
            // An older or foreign status shape: show the operation without step details.
        }

        var error = metadata.FailureDetails?.ErrorMessage ?? progress?.Error;
        return new OperationView(metadata.InstanceId, type, keyId, StateName(metadata.RuntimeStatus), progress?.Step, progress?.Checkpoints ?? [],
            progress?.Version, error, metadata.CreatedAt, metadata.LastUpdatedAt, progress?.Progress, progress?.Approvals, progress?.TimeToRevoke,
            progress?.Related);
    }

    /// <summary>The type and key named by an instance id of ours; null for any other instance.</summary>
    internal static (string Type, string? KeyId)? Parse(string instanceId)
    {
        if (instanceId.StartsWith(OperationTypes.RootRotation + "-", StringComparison.Ordinal))
        {
            return (OperationTypes.RootRotation, null);
        }

        foreach (var type in OperationTypes.All)
        {
            if (instanceId.StartsWith(type + "-", StringComparison.Ordinal) && instanceId.Length > type.Length + 37
                && KeyIdentifiers.TryParseKeyId(instanceId.Substring(type.Length + 1, 36), out var keyId))
            {
                return (type, keyId);
            }
        }

        return null;
    }

    internal static string StateName(OrchestrationRuntimeStatus status) => status switch
    {
        OrchestrationRuntimeStatus.Pending => "PENDING",
        OrchestrationRuntimeStatus.Running => "RUNNING",
        OrchestrationRuntimeStatus.Suspended => "PAUSED",
        OrchestrationRuntimeStatus.Completed => "COMPLETED",
        OrchestrationRuntimeStatus.Failed => "FAILED",
        OrchestrationRuntimeStatus.Terminated => "CANCELED",
        _ => status.ToString().ToUpperInvariant(),
    };

    private static OrchestrationRuntimeStatus ParseState(string state) => state switch
    {
        "PENDING" => OrchestrationRuntimeStatus.Pending,
        "RUNNING" => OrchestrationRuntimeStatus.Running,
        "PAUSED" => OrchestrationRuntimeStatus.Suspended,
        "COMPLETED" => OrchestrationRuntimeStatus.Completed,
        "FAILED" => OrchestrationRuntimeStatus.Failed,
        "CANCELED" => OrchestrationRuntimeStatus.Terminated,
        _ => throw KmsErrors.Validation($"Unknown state '{Short(state)}'. Expected one of: PENDING, RUNNING, PAUSED, COMPLETED, FAILED, CANCELED."),
    };

    private static string Short(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>Engine calls: any failure that is not ours means the engine (or its storage) is not answering.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (e is not KmsException and not OperationCanceledException and not ArgumentException)
        {
            throw KmsErrors.WorkflowsUnavailable(e);
        }
    }
}
