namespace Kms.LocalHost.Workflows.Internal;

/// <summary>
/// The host's logger factory as the sidecar's Kestrel sees it: ASP.NET Core's per-request lines (several per second
/// from the worker's and client's gRPC calls) and the hosting lines ("Now listening on: http://unix:...") only from
/// Warning up, so they never drown or get mistaken for the API's own.
/// </summary>
internal sealed class SidecarLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private static readonly string[] QuietPrefixes = ["Microsoft.AspNetCore", "Microsoft.Hosting"];

    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return QuietPrefixes.Any(p => categoryName.StartsWith(p, StringComparison.Ordinal)) ? new WarningsOnly(logger) : logger;
    }

    // The host owns the providers.
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
