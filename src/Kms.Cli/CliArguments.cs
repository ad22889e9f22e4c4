namespace Kms.Cli;

/// <summary>Raised for a malformed command line; the CLI prints the message and the usage and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// A small parser for <c>--name value</c> options (repeatable) and positional arguments. Enough for these
/// commands; each command says which options it takes, so a typo is an error, not a silent default.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);

    private CliArguments(List<string> positional) => Positional = positional;

    public IReadOnlyList<string> Positional { get; }

    public static CliArguments Parse(IEnumerable<string> args, params string[] knownOptions)
    {
        var positional = new List<string>();
        var parsed = new CliArguments(positional);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                var name = arg[2..];
                if (!knownOptions.Contains(name, StringComparer.Ordinal))
                {
                    throw new UsageException($"unknown option '{arg}'");
                }

                if (!e.MoveNext())
                {
                    throw new UsageException($"option '{arg}' needs a value");
                }

                if (!parsed._options.TryGetValue(name, out var values))
                {
                    parsed._options[name] = values = [];
                }

                values.Add(e.Current);
            }
            else
            {
                positional.Add(arg);
            }
        }

        return parsed;
    }

    public string? Single(string name) =>
        _options.TryGetValue(name, out var values) ? values.Count == 1 ? values[0] : throw new UsageException($"'--{name}' is given more than once") : null;

    public string Required(string name) => Single(name) ?? throw new UsageException($"'--{name}' is required");

    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var values) ? values : [];
}
