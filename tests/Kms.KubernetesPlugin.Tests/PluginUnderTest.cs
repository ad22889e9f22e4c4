using System.Collections.Concurrent;
using Grpc.Net.Client;
using Kms.Core.Authorization;
using Kms.KubernetesPlugin.V2;
using Kms.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace Kms.KubernetesPlugin.Tests;

/// <summary>
/// The plugin in process on a real unix socket, talking to a real KMS host, and a gRPC client connected to that socket
/// the way the API server connects. Every log line the plugin writes is kept for inspection.
/// </summary>
internal sealed class PluginUnderTest : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;
    private readonly DirectoryInfo _dir;

    private PluginUnderTest(WebApplication app, GrpcChannel channel, DirectoryInfo dir, ConcurrentQueue<string> logs)
    {
        _app = app;
        _logs = logs;
        _channel = channel;
        _dir = dir;
        Client = new KeyManagementService.KeyManagementServiceClient(channel);
    }

    public KeyManagementService.KeyManagementServiceClient Client { get; }

    private readonly ConcurrentQueue<string> _logs;

    public static async Task<PluginUnderTest> StartAsync(KmsHostFixture host, string keyIdOrAlias, TimeSpan healthCacheInterval)
    {
        // Under /tmp with a short name: a unix socket path is limited to about 100 bytes.
        var dir = Directory.CreateTempSubdirectory("k8s-");
        var socket = Path.Combine(dir.FullName, "kms.sock");
        var keyFile = Path.Combine(dir.FullName, "dev-issuer.pem");
        await File.WriteAllTextAsync(keyFile, ((ECDsaSecurityKey)host.Issuer.SigningKey).ECDsa.ExportPkcs8PrivateKeyPem());

        var logs = new ConcurrentQueue<string>();
        var app = KubernetesPluginApp.Build([], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["KubernetesPlugin:SocketPath"] = socket,
                ["KubernetesPlugin:KeyId"] = keyIdOrAlias,
                ["KubernetesPlugin:KmsEndpoint"] = host.BaseAddress.ToString(),
                ["KubernetesPlugin:HealthCacheInterval"] = healthCacheInterval.ToString("c"),
                ["KubernetesPlugin:DevCredential:KeyFile"] = keyFile,
                ["KubernetesPlugin:DevCredential:Principal"] = "k8s-plugin-test",
                ["KubernetesPlugin:DevCredential:Roles:0"] = KmsRoles.Crypto,
            });
            builder.Logging.AddProvider(new CapturingLoggerProvider(logs));
        });
        await app.StartAsync();

        var handler = UnixSocketHttpHandler.Create(socket);
        // The authority is not used for routing: every connection goes to the socket.
        var channel = GrpcChannel.ForAddress("http://kms-plugin", new GrpcChannelOptions { HttpHandler = handler });
        return new PluginUnderTest(app, channel, dir, logs);
    }

    /// <summary>All plugin log lines so far.</summary>
    public string AllLogs => string.Join('\n', _logs);

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _dir.Delete(recursive: true);
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
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.Enqueue($"{logLevel} {category} {formatter(state, exception)} {exception}");
    }
}
