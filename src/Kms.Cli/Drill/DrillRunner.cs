using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Kms.Api.Contracts;
using Kms.Core.Errors;
using Kms.Core.Events;

namespace Kms.Cli.Drill;

/// <summary>What one drill is told to do (parsed from the command line by <see cref="Commands.DrillCommand"/>).</summary>
/// <param name="ListenUrl">The webhook URL the drill listens on, or null to skip the event checks.</param>
/// <param name="Connection">The name under which the KMS knows the sample table's storage (Kms:Rewrap:Connections).</param>
/// <param name="StorageConnectionString">The same storage as the CLI reaches it.</param>
internal sealed record DrillOptions(
    int Items,
    Uri? ListenUrl,
    TimeSpan EventTimeout,
    TimeSpan Timeout,
    string Connection,
    string StorageConnectionString,
    IReadOnlyList<string> ApproverTokens,
    int WaitingDays,
    bool Keep);

/// <summary>
/// The game-day drill: a canary key of its own, samples encrypted under it and stored in a table, an emergency revocation
/// of the canary's primary with that table as its source, and checks of what an incident needs: old ciphertexts refused,
/// subscribers told, data rewrapped to a new primary and still readable, material destroyed after approvals. It touches
/// no key but the canary and prints no plaintext or key material (samples are random bytes compared in memory).
/// </summary>
internal sealed class DrillRunner
{
    private const string Purpose = "kms-drill";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a decrypt may still succeed after the 202 (another KMS instance within its metadata cache TTL).</summary>
    private static readonly TimeSpan RefusalGrace = TimeSpan.FromSeconds(10);

    private readonly KmsConnection _kms;
    private readonly CliContext _context;
    private readonly DrillOptions _options;
    private readonly DrillReport _report = new();
    private readonly Dictionary<string, byte[]> _originals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _ciphertexts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _encryptionContext = new(StringComparer.Ordinal) { ["purpose"] = Purpose };
    private DrillListener? _listener;
    private DrillSampleTable? _table;
    private OperationResponse? _revocation;

    public DrillRunner(KmsConnection kms, CliContext context, DrillOptions options)
    {
        _kms = kms;
        _context = context;
        _options = options;
    }

    private TimeProvider Time => _context.Time;

    public async Task<DrillReport> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_options.ListenUrl is { } url)
            {
                // Listen before the canary exists, so the topic's handshake and the canary's first events can get through.
                _listener = DrillListener.Start(url, Time);
                _report.Events = _report.Events with { ListenUrl = url.AbsoluteUri };
            }

            await RunChecksAsync(cancellationToken);
        }
        finally
        {
            await CleanUpAsync(cancellationToken);
            if (_listener is not null)
            {
                _report.Events = _report.Events with { Received = _listener.Events.Count, Handshakes = _listener.Handshakes };
                await _listener.DisposeAsync();
            }

            _report.SkipUnreached("not reached: an earlier check failed");
        }

        return _report;
    }

    private async Task RunChecksAsync(CancellationToken cancellationToken)
    {
        if (!await Step(DrillChecks.CanaryCreated, () => CreateCanaryAsync(cancellationToken)))
        {
            return;
        }

        if (_listener is null)
        {
            _report.Skip(DrillChecks.SubscriberReachable, "no --listen URL: events were not checked");
        }
        else
        {
            await Step(DrillChecks.SubscriberReachable, WaitForCanaryEventAsync);
        }

        var sent = Time.GetTimestamp();
        if (!await Step(DrillChecks.RevocationAccepted, RevokeAsync))
        {
            return;
        }

        // The event may arrive while the drill probes decrypt and waits for the operation: wait for it alongside.
        var heard = _listener?.WaitForAsync(e => e.Type == KmsEventTypes.KeyVersionRevoked && e.KeyId == _report.KeyId,
            sent + (long)(_options.EventTimeout.TotalSeconds * Time.TimestampFrequency));
        await Step(DrillChecks.OldCiphertextRefused, () => ProbeRefusalAsync(sent));
        var replaced = await Step(DrillChecks.ReplacementPrimary, () => WaitForReplacementAsync(cancellationToken));
        if (heard is null)
        {
            _report.Skip(DrillChecks.RevocationEventReceived, "no --listen URL: what subscribers heard was not checked");
        }
        else
        {
            await Step(DrillChecks.RevocationEventReceived, async () => CheckEvent(await heard, sent));
        }

        if (!replaced)
        {
            return;
        }

        if (await Step(DrillChecks.RewrapCompleted, CheckCampaignAsync))
        {
            await Step(DrillChecks.SamplesVerified, () => VerifySamplesAsync(cancellationToken));
        }

        if (_options.ApproverTokens.Count == 0)
        {
            var required = _revocation?.Approvals?.Required;
            _report.Skip(DrillChecks.MaterialDestroyed,
                $"destruction waits for {required?.ToString(CultureInfo.InvariantCulture) ?? "the"} approvals of other principals: give --approver-token to drill it");
        }
        else
        {
            await Step(DrillChecks.MaterialDestroyed, ApproveAndDestroyAsync);
        }
    }

    /// <summary>Runs a check and records it; a KMS or storage error fails it with the error's text.</summary>
    private async Task<bool> Step(string name, Func<Task<(bool Passed, string Detail)>> check)
    {
        (bool Passed, string Detail) outcome;
        try
        {
            outcome = await check();
        }
        catch (CliException e)
        {
            outcome = (false, e.Message);
        }
        catch (RequestFailedException e)
        {
            outcome = (false, $"storage answered {e.Status} {e.ErrorCode}");
        }

        _report.Add(name, outcome.Passed, outcome.Detail);
        return outcome.Passed;
    }

    private async Task<(bool, string)> CreateCanaryAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var stamp = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        _report.Alias = $"drill-canary-{stamp}-{suffix}".ToLowerInvariant();
        _report.Items = _options.Items;
        var request = new CreateKeyRequest("AES_256", Alias: _report.Alias,
            Description: $"kms drill canary created {stamp}: a game-day emergency-rotation drill key holding random samples only; safe to delete",
            Tags: new Dictionary<string, string> { ["purpose"] = Purpose, ["drill"] = $"{stamp}-{suffix}" });
        var key = ApiCommand.Read<KeyResponse>(Ensure(await _kms.PostJsonAsync("api/keys", ApiCommand.Serialize(request))));
        _report.KeyId = key.KeyId;
        _report.RevokedVersion = key.PrimaryVersion;

        for (var i = 0; i < _options.Items; i++)
        {
            _originals[$"s{i:D4}"] = RandomNumberGenerator.GetBytes(32);
        }

        foreach (var chunk in _originals.Keys.Chunk(100))
        {
            var encrypt = new EncryptRequest(Items: chunk.Select(k => new EncryptItem(Convert.ToBase64String(_originals[k]), _encryptionContext)).ToList());
            var answer = ApiCommand.Read<EncryptResponse>(Ensure(await _kms.PostJsonAsync($"api/keys/{key.KeyId}/encrypt", ApiCommand.Serialize(encrypt))));
            foreach (var (rowKey, item) in chunk.Zip(answer.Items ?? []))
            {
                _ciphertexts[rowKey] = item.Ciphertext ?? throw new CliException($"encrypting sample {rowKey} failed: {item.Error?.Code} {item.Error?.Detail}");
            }
        }

        var tableName = $"kmsdrill{stamp.Replace("T", "", StringComparison.Ordinal).TrimEnd('Z')}{suffix}";
        _table = await DrillSampleTable.CreateAsync(_options.StorageConnectionString, tableName, cancellationToken);
        _report.Table = _table.Name;
        await _table.StoreAsync(_ciphertexts.Select(p => (p.Key, p.Value)).ToList(), JsonSerializer.Serialize(_encryptionContext), cancellationToken);
        return (true, $"AES_256 key {key.KeyId} ({_report.Alias}); {_options.Items} random samples encrypted under version {key.PrimaryVersion}, stored in table {_table.Name}");
    }

    /// <summary>Waits for an event of the canary (its creation) so the handshake is done before the clock of the revocation starts.</summary>
    private async Task<(bool, string)> WaitForCanaryEventAsync()
    {
        var found = await _listener!.WaitForAsync(e => e.KeyId == _report.KeyId, Deadline(_options.EventTimeout));
        return found is null
            ? (false, $"no event of the canary reached {_listener.Url} within {_options.EventTimeout.TotalSeconds:0} s ({_listener.Handshakes} handshakes, {_listener.Events.Count} other events): is a subscription of the KMS pointing at it, and are events on?")
            : (true, $"{found.Type} of the canary received at {_listener.Url}");
    }

    private async Task<(bool, string)> RevokeAsync()
    {
        var source = new RewrapSourceBody("table", _options.Connection, _table!.Name, DrillSampleTable.CiphertextColumn,
            ContextColumn: DrillSampleTable.ContextColumn);
        var request = new RevocationRequest([_report.RevokedVersion!.Value], $"kms drill: game-day emergency rotation of canary {_report.Alias}", [source]);
        _revocation = ApiCommand.Read<OperationResponse>(Ensure(await _kms.PostJsonAsync($"api/keys/{_report.KeyId}/revocations", ApiCommand.Serialize(request))));
        _report.RevocationOperationId = _revocation.OperationId;
        return (true, $"operation {_revocation.OperationId} revoking version {_report.RevokedVersion}");
    }

    /// <summary>Decrypts the old ciphertexts: the first refusal times the revocation, then every sample must be refused.</summary>
    private async Task<(bool, string)> ProbeRefusalAsync(long sent)
    {
        var first = _ciphertexts.First();
        var grace = Deadline(RefusalGrace);
        while (true)
        {
            var response = await _kms.PostJsonAsync("api/decrypt", ApiCommand.Serialize(new DecryptRequest(first.Value, _encryptionContext)));
            var code = ProblemCode(response);
            if (code == KmsErrorCodes.KeyVersionRevoked)
            {
                _report.TimeToRevoke = _report.TimeToRevoke with { FirstRefusedDecryptMs = Ms(sent) };
                break;
            }

            if (!response.IsSuccess)
            {
                return (false, $"decrypt of an old ciphertext answered {response.DescribeProblem()}, not {KmsErrorCodes.KeyVersionRevoked}");
            }

            if (Time.GetTimestamp() >= grace)
            {
                return (false, $"an old ciphertext still decrypted {RefusalGrace.TotalSeconds:0} s after the revocation");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), Time);
        }

        var batch = new DecryptRequest(Items: _ciphertexts.Values.Select(c => new DecryptItem(c, _encryptionContext)).ToList());
        var all = ApiCommand.Read<DecryptResponse>(Ensure(await _kms.PostJsonAsync("api/decrypt", ApiCommand.Serialize(batch))));
        var refused = (all.Items ?? []).Count(i => i.Error?.Code == KmsErrorCodes.KeyVersionRevoked);
        return refused == _ciphertexts.Count
            ? (true, $"all {refused} old ciphertexts refused with {KmsErrorCodes.KeyVersionRevoked}")
            : (false, $"{_ciphertexts.Count - refused} of {_ciphertexts.Count} old ciphertexts were not refused with {KmsErrorCodes.KeyVersionRevoked}");
    }

    /// <summary>Polls the revocation until it waits for approvals (revoke, announce, replace and rewrap done) or ends.</summary>
    private async Task<(bool, string)> WaitForReplacementAsync(CancellationToken cancellationToken)
    {
        var deadline = Deadline(_options.Timeout);
        var revocation = _revocation!;
        while (revocation.State is "PENDING" or "RUNNING" && revocation.Step != "awaiting-approvals" && Time.GetTimestamp() < deadline)
        {
            await Task.Delay(PollInterval, Time, cancellationToken);
            revocation = await GetOperationAsync(revocation.OperationId);
        }

        _revocation = revocation;
        if (revocation.TimeToRevoke is { } t)
        {
            _report.TimeToRevoke = _report.TimeToRevoke with { ServerRevokedMs = t.RevokedMs, ServerPublishedMs = t.PublishedMs };
        }

        var key = ApiCommand.Read<KeyResponse>(Ensure(await _kms.GetAsync($"api/keys/{_report.KeyId}")));
        _report.NewPrimaryVersion = key.PrimaryVersion;
        var where = $"operation {revocation.State} at step {revocation.Step ?? "-"}{(revocation.Error is { } e ? ": " + e : "")}";
        if (!revocation.Checkpoints.Contains("replacement-promoted") || key.PrimaryVersion == _report.RevokedVersion)
        {
            return (false, $"no replacement primary ({where}; primary is version {key.PrimaryVersion})");
        }

        return revocation.State is "PENDING" or "RUNNING" && revocation.Step != "awaiting-approvals"
            ? (false, $"version {key.PrimaryVersion} is primary but the revocation did not finish its rewrap within {_options.Timeout.TotalSeconds:0} s ({where})")
            : (true, $"version {key.PrimaryVersion} replaced version {_report.RevokedVersion} as primary ({where})");
    }

    private (bool, string) CheckEvent(ReceivedEvent? received, long sent)
    {
        if (received is null)
        {
            return (false, $"no {KmsEventTypes.KeyVersionRevoked} of the canary reached {_listener!.Url} within {_options.EventTimeout.TotalSeconds:0} s of the request");
        }

        var latency = Time.GetElapsedTime(sent, received.ReceivedAt).TotalMilliseconds;
        _report.Events = _report.Events with { LatencyMs = Math.Round(latency, 1), EventId = received.Id };
        var subject = $"/keys/{_report.KeyId}/versions/{_report.RevokedVersion}";
        return received.Version == _report.RevokedVersion && received.Subject == subject
            ? (true, $"{KmsEventTypes.KeyVersionRevoked} {subject} received (id {received.Id})")
            : (false, $"{KmsEventTypes.KeyVersionRevoked} received for subject {received.Subject} version {received.Version}, expected {subject}");
    }

    private async Task<(bool, string)> CheckCampaignAsync()
    {
        var id = _revocation!.RelatedOperations?.FirstOrDefault(o => o.StartsWith("rewrap-", StringComparison.Ordinal));
        if (id is null)
        {
            return (false, "the revocation started no rewrap campaign");
        }

        var campaign = await GetOperationAsync(id);
        // Both times by the KMS's clock: polling would add the drill's poll interval to the figure.
        var completedAfter = campaign.State == "COMPLETED" && campaign.CompletedAt is { } at ? Math.Round((at - _revocation.CreatedAt).TotalMilliseconds) : (double?)null;
        var duration = campaign.CompletedAt is { } end ? Math.Round((end - campaign.CreatedAt).TotalMilliseconds) : (double?)null;
        var progress = campaign.Progress;
        _report.Rewrap = _report.Rewrap with
        {
            OperationId = id,
            CompletedAfterMs = completedAfter,
            CampaignMs = duration,
            ItemsPerSecond = progress is null ? null : Math.Round(progress.ItemsPerSecond, 1),
            Done = progress?.Done,
            Failed = progress?.Failed,
        };
        return campaign.State == "COMPLETED" && progress is { Failed: 0 } && progress.Done == _options.Items
            ? (true, $"campaign {id} rewrapped {progress.Done} items, none failed")
            : (false, $"campaign {id} {campaign.State}: done {progress?.Done.ToString(CultureInfo.InvariantCulture) ?? "-"}, failed {progress?.Failed.ToString(CultureInfo.InvariantCulture) ?? "-"} of {_options.Items}{(campaign.Error is { } e ? ": " + e : "")}");
    }

    /// <summary>Reads the stored samples back: each must decrypt, on the new primary, to the bytes the drill made.</summary>
    private async Task<(bool, string)> VerifySamplesAsync(CancellationToken cancellationToken)
    {
        var stored = await _table!.ReadAsync(cancellationToken);
        var ok = 0;
        var problems = new List<string>();
        foreach (var chunk in _originals.Keys.Chunk(100))
        {
            var batch = new DecryptRequest(Items: chunk.Select(k => new DecryptItem(stored.GetValueOrDefault(k) ?? "", _encryptionContext)).ToList());
            var answer = ApiCommand.Read<DecryptResponse>(Ensure(await _kms.PostJsonAsync("api/decrypt", ApiCommand.Serialize(batch))));
            foreach (var (rowKey, item) in chunk.Zip(answer.Items ?? []))
            {
                if (item.Error is { } error)
                {
                    problems.Add($"{rowKey}: {error.Code}");
                }
                else if (item.Version != _report.NewPrimaryVersion)
                {
                    problems.Add($"{rowKey}: on version {item.Version}");
                }
                else if (!CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(item.Plaintext ?? ""), _originals[rowKey]))
                {
                    problems.Add($"{rowKey}: differs from the original");
                }
                else
                {
                    ok++;
                }
            }
        }

        _report.Rewrap = _report.Rewrap with { Ok = ok, Bad = _originals.Count - ok };
        return problems.Count == 0
            ? (true, $"all {ok} samples decrypt to their originals on version {_report.NewPrimaryVersion}")
            : (false, $"{problems.Count} of {_originals.Count} samples bad: {string.Join(", ", problems.Take(5))}{(problems.Count > 5 ? ", ..." : "")}");
    }

    private async Task<(bool, string)> ApproveAndDestroyAsync()
    {
        var id = _revocation!.OperationId;
        foreach (var token in _options.ApproverTokens)
        {
            using var approver = _kms.WithToken(token, _context);
            var answer = await approver.PostJsonAsync($"api/operations/{Uri.EscapeDataString(id)}/approvals",
                ApiCommand.Serialize(new OperationApprovalRequest("kms drill")));
            if (!answer.IsSuccess)
            {
                return (false, $"an approval was refused: {answer.DescribeProblem()}");
            }
        }

        var deadline = Deadline(_options.Timeout);
        var revocation = await GetOperationAsync(id);
        while (revocation.State is "PENDING" or "RUNNING" && Time.GetTimestamp() < deadline)
        {
            await Task.Delay(PollInterval, Time);
            revocation = await GetOperationAsync(id);
        }

        _revocation = revocation;
        var versions = ApiCommand.Read<KeyVersionListResponse>(Ensure(await _kms.GetAsync($"api/keys/{_report.KeyId}/versions")));
        var state = versions.Versions.FirstOrDefault(v => v.Version == _report.RevokedVersion)?.State;
        return revocation.State == "COMPLETED" && state == "DESTROYED"
            ? (true, $"{_options.ApproverTokens.Count} approvals given; version {_report.RevokedVersion} DESTROYED")
            : (false, $"revocation {revocation.State} at step {revocation.Step ?? "-"}{(revocation.Error is { } e ? ": " + e : "")}; version {_report.RevokedVersion} is {state ?? "missing"}");
    }

    /// <summary>Stops a revocation still waiting for approvals, schedules the canary's deletion and drops the sample table.</summary>
    private async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        if (_options.Keep)
        {
            _report.Skip(DrillChecks.Cleanup, $"--keep: key {_report.KeyId ?? "-"} and table {_table?.Name ?? "-"} were left in place");
            return;
        }

        await Step(DrillChecks.Cleanup, async () =>
        {
            var done = new List<string>();
            if (_revocation is not null && await GetOperationAsync(_revocation.OperationId) is { State: "PENDING" or "RUNNING" } running)
            {
                // Left waiting, it would hold its approvals open for days; the versions stay revoked either way.
                Ensure(await _kms.PostJsonAsync($"api/operations/{Uri.EscapeDataString(running.OperationId)}/cancel", "{}"));
                done.Add($"revocation {running.OperationId} canceled at step {running.Step ?? "-"}");
            }

            if (_report.KeyId is { } keyId)
            {
                var scheduled = ApiCommand.Read<KeyResponse>(Ensure(await _kms.PostJsonAsync($"api/keys/{keyId}/schedule-deletion",
                    ApiCommand.Serialize(new ScheduleDeletionRequest(_options.WaitingDays)))));
                done.Add($"canary deletion scheduled for {Output.Formats.Time(scheduled.DeletionDate)}");
            }

            if (_table is not null)
            {
                await _table.DeleteAsync(cancellationToken);
                done.Add($"table {_table.Name} deleted");
            }

            return (true, done.Count == 0 ? "nothing to clean up" : string.Join("; ", done));
        });
    }

    private async Task<OperationResponse> GetOperationAsync(string id) =>
        ApiCommand.Read<OperationResponse>(Ensure(await _kms.GetAsync($"api/operations/{Uri.EscapeDataString(id)}")));

    private static KmsResponse Ensure(KmsResponse response) =>
        response.IsSuccess ? response : throw new CliException(response.DescribeProblem());

    private static string? ProblemCode(KmsResponse response)
    {
        if (response.IsSuccess)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(response.Body);
            return document.RootElement.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private long Deadline(TimeSpan after) => Time.GetTimestamp() + (long)(after.TotalSeconds * Time.TimestampFrequency);

    private double Ms(long since) => Math.Round(Time.GetElapsedTime(since).TotalMilliseconds, 1);
}
