using System.Net.Http.Json;
using System.Text.Json;
using Kms.Core.Authorization;
using Kms.Core.Ports;
using Microsoft.Extensions.DependencyInjection;

namespace Kms.Api.Tests.Faults;

/// <summary>
/// A host of its own (tables, root-key family) with events on, whose Event Grid topic cannot be reached: every event a
/// state change writes stays in the outbox (the first publish fails and the next try is an hour away), so a test can
/// count the events each effect wrote. Root-key rotation activities run here too: they sweep every stored version of
/// this host, so they must not share tables with other tests.
/// </summary>
public sealed class RedeliveryHost : IAsyncLifetime
{
    public KmsHostFixture Host { get; } = new(new Dictionary<string, string?>
    {
        ["Kms:Events:Enabled"] = "true",
        // Port 1 on loopback: nothing listens, the publish fails at once with connection refused (never a 400 that would
        // move rows to the poison table).
        ["Kms:Events:TopicEndpoint"] = "http://127.0.0.1:1/api/events",
        ["Kms:Events:TopicKey"] = "unreachable-topic-key",
        ["Kms:Events:RetryInitialDelay"] = "01:00:00",
        ["Kms:Events:RetryMaxDelay"] = "01:00:00",
        ["Kms:Events:PublishAuditRecords"] = "false",
    });

    public IServiceProvider Services => Host.Services!;

    public Task InitializeAsync() => Host.InitializeAsync();

    public Task DisposeAsync() => Host.DisposeAsync();

    /// <summary>The events in the key's outbox partition, as "type:count" sorted by type.</summary>
    public async Task<string> OutboxEventsAsync(string keyId)
    {
        var entries = await Services.GetRequiredService<IOutboxStore>()
            .ReadAsync(new OutboxPartition(OutboxPartition.KeysStream, keyId), 1000, CancellationToken.None);
        return string.Join(",", entries.SelectMany(e => e.Events).GroupBy(e => e.Type, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}:{g.Count()}"));
    }

    /// <summary>
    /// The key as stored, without ids or times: state, primary, every version (state, whether it still has material,
    /// who revoked it), its aliases and the events it announced. Two runs of an activity must leave the same text.
    /// </summary>
    public async Task<string> KeySnapshotAsync(string keyId)
    {
        var store = Services.GetRequiredService<IKeyStore>();
        var key = await store.GetKeyAsync(keyId, CancellationToken.None) ?? throw new InvalidOperationException($"no key {keyId}");
        var versions = await store.ListVersionsAsync(keyId, CancellationToken.None);
        var aliases = await Services.GetRequiredService<IAliasStore>().ListAliasesForKeyAsync(keyId, CancellationToken.None);
        return $"state={key.State} primary={key.PrimaryVersion} latest={key.LatestVersion} versions=" +
            string.Join(",", versions.Select(v => $"{v.Version}:{v.State}{(v.WrappedMaterial.Length == 0 ? ":no-material" : "")}" +
                $"{(v.RevokedBy is null ? "" : ":revoked-by-op")}")) +
            $" aliases={aliases.Count} events=[{await OutboxEventsAsync(keyId)}]";
    }

    /// <summary>How many audit records name the key (activities write none: the request that started the operation was audited).</summary>
    public async Task<int> AuditRecordsAsync(string keyId)
    {
        using var auditor = Host.CreateClient("redelivery-auditor", KmsRoles.Auditor);
        return (await AuditPages.ReadAllAsync(auditor, $"keyId={keyId}&pageSize=1000")).Count;
    }
}
