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
    /// <summary>Standard input as bytes, for binary data (plaintext, ciphertext, messages).</summary>
    public Stream StandardInput { get; init; } = Stream.Null;

    /// <summary>Standard output as bytes; text goes to <see cref="Out"/>, which the console flushes after every write.</summary>
    public Stream StandardOutput { get; init; } = Stream.Null;

    /// <summary>Whether stdout is a terminal (not redirected): progress bars then, no binary output.</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>Columns of the terminal (0 when unknown): a redrawn progress line longer than this would wrap and stop redrawing.</summary>
    public int TerminalWidth { get; init; }

    /// <summary>An environment variable, with an empty value treated as unset (as `export X=` usually means).</summary>
    public string? Env(string name) => GetEnvironmentVariable(name) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;
}
