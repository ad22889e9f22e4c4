using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Hsm.Pkcs11;
using Kms.LocalHost;
using Kms.Storage.Tables;
using Kms.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kms.Api.Tests;

/// <summary>
/// Kms.LocalHost on a free loopback port over the real SoftHSM2 token and Azurite, with its own tables.
/// Tests talk to it over real HTTP. Every log line the host writes is captured for inspection.
/// </summary>
public sealed class KmsHostFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public ConcurrentQueue<string> Logs { get; } = new();

    public IEnumerable<EndpointDataSource> EndpointSources => ((IEndpointRouteBuilder)_app!).DataSources;

    public async Task InitializeAsync()
    {
        var hsm = LocalStack.Configuration.GetSection("Kms:Hsm").Get<Pkcs11HsmOptions>()!;
        RootKeyCeremony.EnsureRootKey(hsm);
        _app = KmsLocalHostApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration["Kms:Storage:TablePrefix"] = LocalStack.UniqueName("api");
            builder.Configuration["Kms:MaxBatchItems"] = "1000";
            builder.Logging.AddProvider(new CapturingLoggerProvider(Logs));
        });
        await _app.Services.GetRequiredService<TableStoreInitializer>().EnsureCreatedAsync(CancellationToken.None);
        await _app.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async Task<JsonElement> PostOkAsync(string path, object body)
    {
        using var response = await Client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"{path} -> {(int)response.StatusCode}: {json}");
        return json;
    }

    public async Task<string> CreateKeyAsync(string keySpec, string? alias = null)
    {
        var key = await PostOkAsync("/api/keys", alias is null ? new { keySpec } : new { keySpec, alias });
        return key.GetProperty("keyId").GetString()!;
    }

    private sealed class CapturingLoggerProvider(ConcurrentQueue<string> sink) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(sink, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(ConcurrentQueue<string> sink, string category) : ILogger
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
}

[CollectionDefinition(Name)]
public sealed class KmsHostCollection : ICollectionFixture<KmsHostFixture>
{
    public const string Name = "KMS host";
}
