using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kms.Hsm.Pkcs11.Tests;

/// <summary>Keeps every log event, so tests can check what the server side records (and what it must not).</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    private readonly ConcurrentQueue<(int EventId, LogLevel Level, string Message)> _events = new();

    public IReadOnlyCollection<(int EventId, LogLevel Level, string Message)> Events => _events;

    public bool Has(int eventId) => _events.Any(e => e.EventId == eventId);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _events.Enqueue((eventId.Id, logLevel, formatter(state, exception) + (exception is null ? "" : " | " + exception)));
}
