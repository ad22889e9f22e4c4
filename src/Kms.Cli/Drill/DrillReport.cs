using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kms.Cli.Output;

namespace Kms.Cli.Drill;

/// <summary>The names of the drill's checks, in the order they run (docs/cli.md lists them; scripts may match on them).</summary>
internal static class DrillChecks
{
    public const string CanaryCreated = "canary-created";
    public const string SubscriberReachable = "subscriber-reachable";
    public const string RevocationAccepted = "revocation-accepted";
    public const string OldCiphertextRefused = "old-ciphertext-refused";
    public const string RevocationEventReceived = "revocation-event-received";
    public const string ReplacementPrimary = "replacement-primary";
    public const string RewrapCompleted = "rewrap-completed";
    public const string SamplesVerified = "samples-verified";
    public const string MaterialDestroyed = "material-destroyed";
    public const string Cleanup = "cleanup";

    public static IReadOnlyList<string> All { get; } =
    [
        CanaryCreated, SubscriberReachable, RevocationAccepted, OldCiphertextRefused, RevocationEventReceived, ReplacementPrimary,
        RewrapCompleted, SamplesVerified, MaterialDestroyed, Cleanup,
    ];
}

/// <summary>One check: PASS, FAIL or SKIP (not applicable, or not reached after an earlier failure), and why.</summary>
internal sealed record DrillCheck(string Name, string Result, string Detail)
{
    public const string Pass = "PASS", Fail = "FAIL", Skip = "SKIP";
}

/// <param name="FirstRefusedDecryptMs">Measured by the drill: revocation request sent → first decrypt refused with KeyVersionRevoked.</param>
/// <param name="ServerRevokedMs">The KMS's own figure (operation <c>timeToRevoke.revokedMs</c>).</param>
/// <param name="ServerPublishedMs">The KMS's own figure: until the events had left its outbox (<c>timeToRevoke.publishedMs</c>).</param>
internal sealed record DrillTimeToRevoke(double? FirstRefusedDecryptMs, double? ServerRevokedMs, double? ServerPublishedMs);

/// <param name="LatencyMs">Revocation request sent → Kms.KeyVersionRevoked received by the drill's listener.</param>
/// <param name="Handshakes">Webhook handshakes the topic made with the listener (0: it never reached it).</param>
internal sealed record DrillEvents(string? ListenUrl, double? LatencyMs, string? EventId, int Received, int Handshakes);

/// <param name="CompletedAfterMs">The revocation operation's start → the campaign's completion, both by the KMS's clock.</param>
/// <param name="CampaignMs">The campaign's own duration (createdAt → completedAt).</param>
/// <param name="Done">Items the campaign rewrapped; <paramref name="Failed"/> those it could not.</param>
/// <param name="Ok">Samples read back that decrypt to their original bytes on the new primary; <paramref name="Bad"/> the others.</param>
internal sealed record DrillRewrap(string? OperationId, double? CompletedAfterMs, double? CampaignMs, double? ItemsPerSecond, long? Done, long? Failed,
    int Ok, int Bad);

/// <summary>What a drill found: the canary, the figures and every check.</summary>
internal sealed class DrillReport
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string? KeyId { get; set; }

    public string? Alias { get; set; }

    public int Items { get; set; }

    public string? Table { get; set; }

    public int? RevokedVersion { get; set; }

    public int? NewPrimaryVersion { get; set; }

    public string? RevocationOperationId { get; set; }

    public DrillTimeToRevoke TimeToRevoke { get; set; } = new(null, null, null);

    public DrillEvents Events { get; set; } = new(null, null, null, 0, 0);

    public DrillRewrap Rewrap { get; set; } = new(null, null, null, null, null, null, 0, 0);

    public List<DrillCheck> Checks { get; } = [];

    public bool Passed => Checks.All(c => c.Result != DrillCheck.Fail);

    [JsonIgnore]
    public IEnumerable<DrillCheck> Failures => Checks.Where(c => c.Result == DrillCheck.Fail);

    public void Add(string name, bool passed, string detail) => Checks.Add(new DrillCheck(name, passed ? DrillCheck.Pass : DrillCheck.Fail, detail));

    public void Skip(string name, string detail) => Checks.Add(new DrillCheck(name, DrillCheck.Skip, detail));

    /// <summary>Every check not reached is listed as skipped, so the report always names all of them in order.</summary>
    public void SkipUnreached(string reason)
    {
        foreach (var name in DrillChecks.All.Where(n => Checks.All(c => c.Name != n)))
        {
            Checks.Add(new DrillCheck(name, DrillCheck.Skip, reason));
        }

        Checks.Sort((a, b) => Order(a.Name).CompareTo(Order(b.Name)));
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public IEnumerable<string> ToLines()
    {
        var lines = new List<string>();
        lines.AddRange(TextTable.Fields(
        [
            ("canary", KeyId is null ? null : $"{KeyId} ({Alias}), {Items} items in table {Table}"),
            ("revoked", RevokedVersion is { } v ? $"version {v} (operation {RevocationOperationId}); new primary {Number(NewPrimaryVersion)}" : null),
            ("time to revoke", TimeToRevoke.FirstRefusedDecryptMs is { } t
                ? $"{Ms(t)} request -> first refused decrypt (server: revoked {Ms(TimeToRevoke.ServerRevokedMs)}, published {Ms(TimeToRevoke.ServerPublishedMs)})"
                : null),
            ("event latency", Events.ListenUrl is null ? null
                : Events.LatencyMs is { } l ? $"{Ms(l)} request -> Kms.KeyVersionRevoked at {Events.ListenUrl}"
                : $"no revocation event at {Events.ListenUrl} ({Events.Received} events, {Events.Handshakes} handshakes)"),
            ("rewrap", Rewrap.OperationId is null ? null
                : $"{Rewrap.Ok} ok, {Rewrap.Bad} failed; campaign {Ms(Rewrap.CampaignMs)} at {Number(Rewrap.ItemsPerSecond)} items/s, completed {Ms(Rewrap.CompletedAfterMs)} after the revocation started"),
        ]));
        lines.Add("");
        lines.AddRange(TextTable.Rows(["check", "result", "detail"], Checks.Select(c => new[] { c.Name, c.Result, c.Detail })));
        lines.Add("");
        var failed = Failures.Select(c => c.Name).ToArray();
        lines.Add(failed.Length == 0
            ? $"drill PASSED ({Checks.Count(c => c.Result == DrillCheck.Pass)} passed, {Checks.Count(c => c.Result == DrillCheck.Skip)} skipped)"
            : $"drill FAILED: {string.Join(", ", failed)}");
        return lines;
    }

    private static int Order(string name)
    {
        var i = DrillChecks.All.ToList().IndexOf(name);
        return i < 0 ? int.MaxValue : i;
    }

    private static string Ms(double? ms) => ms switch
    {
        null => "-",
        < 1000 => ms.Value.ToString("0", CultureInfo.InvariantCulture) + " ms",
        _ => (ms.Value / 1000).ToString("0.0", CultureInfo.InvariantCulture) + " s",
    };

    private static string Number(double? value) => value?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-";
}
