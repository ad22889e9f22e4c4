namespace Kms.Cli;

/// <summary>The process exit codes; scripts depend on them (docs/cli.md lists them). Never renumber one.</summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Anything not covered below: unreadable input, a request the KMS rejected as invalid (400), a KMS bug (500), a broken audit log.</summary>
    public const int Failure = 1;

    public const int Usage = 2;

    /// <summary>Not allowed: no or a bad token (401), refused (403); for <c>policy simulate</c>, the simulated request would be denied.</summary>
    public const int Denied = 3;

    /// <summary>No such key, version, alias or operation (404).</summary>
    public const int NotFound = 4;

    /// <summary>The state does not allow it (409/412): key disabled or pending deletion, operation not paused, alias taken, …</summary>
    public const int Conflict = 5;

    /// <summary>The KMS could not be reached, did not answer in time, or said it is unavailable or throttling (503, 429).</summary>
    public const int Unavailable = 6;

    /// <summary><c>verify</c> / <c>verify-mac</c>: the KMS checked the signature or MAC and it does not match.</summary>
    public const int VerificationFailed = 7;

    /// <summary><c>operations watch</c>: the operation ended FAILED.</summary>
    public const int OperationFailed = 8;

    /// <summary><c>operations watch</c>: the operation ended CANCELED.</summary>
    public const int OperationCanceled = 9;

    /// <summary><c>operations watch --timeout</c>: the operation was still running when the time was up.</summary>
    public const int StillRunning = 10;

    /// <summary><c>drill</c>: at least one check of the drill failed (the report lists which).</summary>
    public const int DrillFailed = 11;
}

/// <summary>Raised for a malformed command line; the CLI prints the message and the command's usage and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure the CLI reports as one line on stderr (and an optional hint line) with its exit code (1 unless said).</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failure, string? hint = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>What the user can do next, printed on its own line after the message.</summary>
    public string? Hint { get; } = hint;
}
