namespace Kms.Cli;

/// <summary>The process exit codes; scripts depend on them.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary><c>policy simulate</c>: the simulated request would be denied.</summary>
    public const int Denied = 3;
}

/// <summary>Raised for a malformed command line; the CLI prints the message and the command's usage and exits 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>A failure the CLI reports as one line on stderr with exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
