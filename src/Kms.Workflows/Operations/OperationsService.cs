using Kms.Core;
using Kms.Core.Authorization;
using Kms.Core.Errors;
using Kms.Core.Ports;
using Kms.Core.Services;
using Kms.Workflows.Rewrap;
using Kms.Workflows.Rotation;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
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
    RewrapProgress? Progress = null);

/// <summary>Operation kinds and their instance-id prefixes.</summary>
public static class OperationTypes
{
    public const string Rotation = "rotation";
    public const string Rewrap = "rewrap";

    /// <summary>Root-key rotation: ids <c>rootrotation-{time}-{random}</c>, no key.</summary>
    public const string RootRotation = "rootrotation";

    public static IReadOnlyList<string> All { get; } = [Rotation, Rewrap, RootRotation];
}

/// <summary>
/// Starts operations and answers the status API over a <see cref="DurableTaskClient"/> (DI locally, the [DurableClient]
/// binding in Functions). Instance ids are <c>{type}-{keyId}-{time}-{random}</c>, so listing by type and key is a
/// prefix query and the key is known without reading the input.
/// </summary>
public sealed class OperationsService
{
    private readonly IKeyStore _keys;
    private readonly IAccessGuard _access;
    private readonly IRewrapSources _sources;
    private readonly Rewrapper _rewrapper;
    private readonly TimeProvider _time;

    public OperationsService(IKeyStore keys, IAccessGuard access, IRewrapSources sources, Rewrapper rewrapper, TimeProvider time)
    {
        _keys = keys;
        _access = access;
        _sources = sources;
        _rewrapper = rewrapper;
        _time = time;
    }

    /// <summary>Starts a staged rotation of the key; refused while another rotation of it is in progress.</summary>
    public async Task<OperationView> StartRotationAsync(DurableTaskClient client, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var key = await _keys.GetKeyAsync(KeyIdentifiers.RequireKeyId(keyId), cancellationToken) ?? throw KmsErrors.KeyNotFound(keyId);
        await _access.DemandAsync(KmsActions.RotateKey, key.KeyId, null, cancellationToken);
        if (key.State == KeyState.PendingDeletion)
        {
            throw KmsErrors.KeyPendingDeletion(key.KeyId);
        }

        var id = await StartAsync(client, OperationTypes.Rotation, key.KeyId, nameof(RotationOrchestrator),
            new RotationInput(key.KeyId, _access.Principal, _access.RequestId), cancellationToken);
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

    /// <summary>Stops the operation where it is. Each step is atomic, so the key is left consistent (see docs/workflows.md).</summary>
    public Task<OperationView> CancelAsync(DurableTaskClient client, string operationId, CancellationToken cancellationToken) =>
        ControlAsync(client, operationId,
            [OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Suspended], "canceled only before it ends",
            (c, id) => c.TerminateInstanceAsync(id, $"canceled by {_access.Principal}", cancellationToken), cancellationToken);

    /// <summary>Schedules the orchestration unless one of the same type for the key is still in progress.</summary>
    private async Task<string> StartAsync(DurableTaskClient client, string type, string keyId, string orchestrator, object input,
        CancellationToken cancellationToken)
    {
        var prefix = $"{type}-{keyId}-";
        var id = prefix + $"{_time.GetUtcNow():yyyyMMddTHHmmssfff}-{Guid.NewGuid().ToString("N")[..8]}";
        return await CallAsync(async () =>
        {
            var running = client.GetAllInstancesAsync(new OrchestrationQuery
            {
                InstanceIdPrefix = prefix,
                Statuses = [OrchestrationRuntimeStatus.Pending, OrchestrationRuntimeStatus.Running, OrchestrationRuntimeStatus.Suspended],
                PageSize = 1,
            });
            await foreach (var other in running.WithCancellation(cancellationToken))
            {
                throw KmsErrors.OperationConflict($"Operation '{other.InstanceId}' of key '{keyId}' is still in progress.");
            }

            return await client.ScheduleNewOrchestrationInstanceAsync(orchestrator, input, new StartOrchestrationOptions { InstanceId = id },
                cancellationToken);
        });
    }

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
            progress?.Version, error, metadata.CreatedAt, metadata.LastUpdatedAt, progress?.Progress);
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
