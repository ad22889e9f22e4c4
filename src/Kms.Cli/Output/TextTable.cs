namespace Kms.Cli.Output;

/// <summary>Human output: a table with aligned columns, or "name  value" lines for one object.</summary>
internal static class TextTable
{
    private const string Gap = "  ";

    /// <summary>Upper-case headers, one row per item, columns padded to their widest cell; the last column is not padded.</summary>
    public static IEnumerable<string> Rows(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var cells = rows.Select(r => r.Select(c => string.IsNullOrEmpty(c) ? "-" : c).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToArray();
        yield return Line(headers.Select(h => h.ToUpperInvariant()).ToArray(), widths);
        foreach (var row in cells)
        {
            yield return Line(row, widths);
        }
    }

    /// <summary>One line per field: the names padded to the longest; absent values are left out.</summary>
    public static IEnumerable<string> Fields(IEnumerable<(string Name, string? Value)> fields)
    {
        var present = fields.Where(f => !string.IsNullOrEmpty(f.Value)).ToList();
        var width = present.Count == 0 ? 0 : present.Max(f => f.Name.Length);
        return present.Select(f => f.Name.PadRight(width) + Gap + f.Value);
    }

    public static void Write(TextWriter writer, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            writer.WriteLine(line);
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join(Gap, cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
