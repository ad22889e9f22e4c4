namespace Kms.Cli;

/// <summary>
/// What a command may touch besides its arguments: the standard streams, the clock, the working directory,
/// the environment and the HTTP handler. Program passes the real ones; tests pass writers, fakes and a dictionary.
/// </summary>
internal sealed record CliContext(
    TextReader In,
    TextWriter Out,
    TextWriter Error,
    TimeProvider Time,
    string CurrentDirectory,
    Func<string, string?> GetEnvironmentVariable,
    HttpMessageHandler Handler)
{
    /// <summary>An environment variable, with an empty value treated as unset (as `export X=` usually means).</summary>
    public string? Env(string name) => GetEnvironmentVariable(name) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
