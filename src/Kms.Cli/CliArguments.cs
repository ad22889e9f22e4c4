namespace Kms.Cli;

/// <summary>
/// A small parser for <c>--name value</c> / <c>--name=value</c> options (repeatable) and positional arguments.
/// Each command names the options it takes, so a typo is an error, not a silent default.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    private CliArguments()
    {
    }

    public IReadOnlyList<string> Positional => _positional;

    public static CliArguments Parse(IEnumerable<string> args, params string[] knownOptions)
    {
        var parsed = new CliArguments();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                parsed._positional.Add(arg);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? arg[2..] : arg[2..equals];
            if (!knownOptions.Contains(name, StringComparer.Ordinal))
            {
                throw new UsageException($"unknown option '--{name}'");
            }

            string value;
            if (equals >= 0)
            {
                value = arg[(equals + 1)..];
            }
            else if (e.MoveNext() && !e.Current.StartsWith("--", StringComparison.Ordinal))
            {
                value = e.Current;
            }
            else
            {
                // "--principal --role x" is a forgotten value, not a principal named "--role".
                throw new UsageException($"option '--{name}' needs a value");
            }

            if (string.IsNullOrWhiteSpace(value))
            {
                throw new UsageException($"option '--{name}' needs a non-empty value");
            }

            if (!parsed._options.TryGetValue(name, out var values))
            {
                parsed._options[name] = values = [];
            }

            values.Add(value);
        }

        return parsed;
    }

    public string? Single(string name) =>
        _options.TryGetValue(name, out var values)
            ? values.Count == 1 ? values[0] : throw new UsageException($"'--{name}' is given more than once")
            : null;

    public string Required(string name) => Single(name) ?? throw new UsageException($"'--{name}' is required");

    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var values) ? values : [];

    public void NoPositional()
    {
        if (_positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{_positional[0]}'");
        }
    }
}
