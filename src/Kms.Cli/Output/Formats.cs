using System.Globalization;

namespace Kms.Cli.Output;

/// <summary>How values look in human output (invariant culture, UTC).</summary>
internal static class Formats
{
    public static string Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "";

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    public static string Bool(bool value) => value ? "yes" : "no";

    public static string List(IEnumerable<string>? values) => values is null ? "" : string.Join(", ", values);

    public static string Map(IEnumerable<KeyValuePair<string, string>>? pairs) =>
        pairs is null ? "" : string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"));
}
