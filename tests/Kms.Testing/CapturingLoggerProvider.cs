using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kms.Testing;

/// <summary>
/// Writes every log line (level, category, event id, message, scopes, exception) into a queue, so a test can assert what
/// was logged, above all that no secret was.
/// </summary>
public sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink, categoryName);

    public void Dispose()
    {
    }
}

internal sealed class CapturingLogger(ConcurrentQueue<string> sink, string category) : ILogger
{
    private readonly AsyncLocal<List<object?>> _scopes = new();

    public IDisposable BeginScope<TState>(TState state) where TState : notnull
    {
        var scopes = _scopes.Value ??= [];
        scopes.Add(state);
        return new Pop(scopes);
    }

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var scopes = _scopes.Value is { Count: > 0 } s ? " scopes=" + string.Join(";", s.Select(FormatScope)) : "";
        sink.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)}{scopes} {exception}");
    }

    private static string FormatScope(object? scope) => scope is IEnumerable<KeyValuePair<string, object>> pairs
        ? string.Join(",", pairs.Select(p => $"{p.Key}={p.Value}"))
        : scope?.ToString() ?? "";

    private sealed class Pop(List<object?> scopes) : IDisposable
    {
        public void Dispose() => scopes.RemoveAt(scopes.Count - 1);
    }
}
