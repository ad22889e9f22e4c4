using System.Globalization;

namespace Kms.Cli;

/// <summary>
/// A small parser for <c>--name value</c> / <c>--name=value</c> options (repeatable), value-less flags such as
/// <c>--json</c>, and positional arguments. Each command names what it takes, so a typo is an error, not a silent default.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    private CliArguments()
    {
    }

    public IReadOnlyList<string> Positional => _positional;

    public static CliArguments Parse(IEnumerable<string> args, params string[] knownOptions) => Parse(args, knownOptions, []);

    public static CliArguments Parse(IEnumerable<string> args, IReadOnlyCollection<string> knownOptions, IReadOnlyCollection<string> knownFlags)
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
            if (knownFlags.Contains(name, StringComparer.Ordinal))
            {
                if (equals >= 0)
                {
                    throw new UsageException($"'--{name}' takes no value");
                }

                parsed._flags.Add(name);
                continue;
            }

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

    public bool Flag(string name) => _flags.Contains(name);

    /// <summary>A whole number option within [min, max], or null when absent.</summary>
    public int? Int(string name, int min, int max) =>
        Single(name) is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                ? n
                : throw new UsageException($"'--{name}' must be a whole number from {min} to {max}")
            : null;

    public void NoPositional()
    {
        if (_positional.Count > 0)
        {
            throw new UsageException($"unexpected argument '{_positional[0]}'");
        }
    }

    /// <summary>Exactly the named positional arguments, in order (e.g. KEY VERSION).</summary>
    public string[] Positionals(params string[] names)
    {
        if (_positional.Count < names.Length)
        {
            throw new UsageException($"{names[_positional.Count]} is required");
        }

        if (_positional.Count > names.Length)
        {
            throw new UsageException($"unexpected argument '{_positional[names.Length]}'");
        }

        return [.. _positional];
    }
}
