using System.Text.RegularExpressions;

namespace Kms.LocalHost.Workflows;

/// <summary>
/// Settings of the local workflow engine (configuration section <c>Kms:Workflows</c>): the Durable Task Azure Storage
/// backend over Azurite, served to the in-process worker and client by a gRPC sidecar (see docs/workflows.md).
/// </summary>
public sealed partial class LocalWorkflowEngineOptions
{
    public const string SectionName = "Kms:Workflows";

    /// <summary>Suffix added to <c>Kms:Storage:TablePrefix</c> for the default task hub name.</summary>
    public const string DefaultTaskHubSuffix = "hub";

    /// <summary>Azure Storage allows at most 16 control-queue partitions.</summary>
    public const int MaxPartitionCount = 16;

    /// <summary>When false nothing of the engine is registered: no worker, no client, no sidecar.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The task hub (names of its tables, queues and lease container): 3 to 45 letters and digits, starting with a
    /// letter. Default: <c>Kms:Storage:TablePrefix</c> + "hub", so hosts with their own tables also get their own hub.
    /// </summary>
    public string? TaskHubName { get; set; }

    /// <summary>
    /// How long a fetched activity stays hidden from other workers. The sidecar never renews it, so this is the
    /// longest an activity may run (a longer one runs a second time), and also how long after a crash an
    /// unfinished activity waits before it runs again.
    /// </summary>
    public TimeSpan WorkItemVisibilityTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long fetched orchestration messages stay hidden; after a crash they wait this long before they run again.</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between queue polls when idle (Azure's default is 30 s; locally, latency matters more).</summary>
    public TimeSpan MaxQueuePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Control-queue partitions (1 to 16). One is plenty for a single local host; changing it needs a new task hub.</summary>
    public int PartitionCount { get; set; } = 1;

    /// <summary>The default task hub name for a table prefix (null or empty: the storage default "kms").</summary>
    public static string DefaultTaskHubName(string? tablePrefix) =>
        (string.IsNullOrEmpty(tablePrefix) ? "kms" : tablePrefix) + DefaultTaskHubSuffix;

    /// <summary>Throws when a value is missing or out of range, so a bad setting stops the host at start.</summary>
    public void Validate()
    {
        if (!Enabled)
        {
            return;
        }

        if (TaskHubName is null || !TaskHubNamePattern().IsMatch(TaskHubName))
        {
            throw new ArgumentException(
                $"{SectionName}:TaskHubName '{TaskHubName}' is not a valid task hub name: use 3 to 45 letters and digits, starting with a letter " +
                $"(the default is Kms:Storage:TablePrefix + \"{DefaultTaskHubSuffix}\"; set TaskHubName when the prefix is too long).",
                nameof(TaskHubName));
        }

        RequireRange(WorkItemVisibilityTimeout, TimeSpan.FromSeconds(5), TimeSpan.FromDays(7), nameof(WorkItemVisibilityTimeout),
            "it bounds how long one activity may run");
        RequireRange(ControlQueueVisibilityTimeout, TimeSpan.FromSeconds(5), TimeSpan.FromDays(7), nameof(ControlQueueVisibilityTimeout), null);
        RequireRange(MaxQueuePollingInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5), nameof(MaxQueuePollingInterval), null);
        if (PartitionCount is < 1 or > MaxPartitionCount)
        {
            throw new ArgumentOutOfRangeException(nameof(PartitionCount), PartitionCount,
                $"{SectionName}:PartitionCount must be between 1 and {MaxPartitionCount}.");
        }
    }

    private static void RequireRange(TimeSpan value, TimeSpan min, TimeSpan max, string name, string? why)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value,
                $"{SectionName}:{name} must be between {min:c} and {max:c}{(why is null ? "" : $" ({why})")}.");
        }
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$", RegexOptions.CultureInvariant)]
    private static partial Regex TaskHubNamePattern();
}
