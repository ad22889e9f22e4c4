using System.Collections.Concurrent;
using Xunit;
using System.Net.Http.Json;
using System.Text.Json;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Core.Services;
using Kms.Hsm.Pkcs11;
using Kms.LocalHost;
using Kms.Storage.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kms.Testing;

/// <summary>
/// Kms.LocalHost on a free loopback port over the real SoftHSM2 token and Azurite, with its own tables.
/// Tests talk to it over real HTTP. Every log line the host writes is captured for inspection.
/// </summary>
public sealed class KmsHostFixture : IAsyncLifetime
{
    /// <summary>The principal of <see cref="Client"/>: an admin who may also use keys and rotate them.</summary>
    public const string AdminPrincipal = "test-admin";

    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("kms-api-tests");
    private readonly List<HttpClient> _clients = [];
    private WebApplication? _app;

    /// <summary>Settings a derived fixture changes (e.g. rate limits) before the host is built.</summary>
    private readonly Dictionary<string, string?> _settings;

    public KmsHostFixture()
        : this(new Dictionary<string, string?>())
    {
    }

    // Internal (visible to the test projects): xUnit wants a collection fixture to have a single public constructor.
    internal KmsHostFixture(Dictionary<string, string?> settings, int port = 0)
    {
        _settings = settings;
        _port = port;
        // A root family of the host's own on the shared token: a root-key rotation started here (the authorization
        // matrix starts one) retires only this host's roots, never those of the other test projects.
        _settings.TryAdd(RootKeyLabelSetting, LocalStack.UniqueName("kms-root-api-"));
    }

    private const string RootKeyLabelSetting = "Kms:Hsm:RootKeyLabel";

    /// <summary>The configured (first-generation) root key label of this host.</summary>
    public string RootKeyLabel => _settings[RootKeyLabelSetting]!;

    /// <summary>0: any free port. A fixed port lets <see cref="RestartAsync"/> keep <see cref="BaseAddress"/>.</summary>
    private readonly int _port;
    private string _keyFile = null!;

    public HttpClient Client { get; private set; } = null!;

    public DevTokenIssuer Issuer { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The host's table prefix (its own tables in the shared Azurite).</summary>
    public string TablePrefix { get; } = LocalStack.UniqueName("api");

    public ConcurrentQueue<string> Logs { get; } = new();

    public IEnumerable<EndpointDataSource> EndpointSources => ((IEndpointRouteBuilder)_app!).DataSources;

    public async Task InitializeAsync()
    {
        // The ceremony runs on the token the host will use: the stack's, unless the settings name another (the HSM fault tests).
        var hsm = new ConfigurationBuilder().AddConfiguration(LocalStack.Configuration).AddInMemoryCollection(_settings).Build()
            .GetSection("Kms:Hsm").Get<Pkcs11HsmOptions>()!;
        RootKeyCeremony.EnsureRootKey(hsm);
        _keyFile = Path.Combine(_secrets.FullName, "dev-issuer.pem");
        DevTokenIssuer.EnsureKeyFile(_keyFile);
        Issuer = DevTokenIssuer.Load(_keyFile);
        await StartAsync();
        Client = CreateClient(AdminPrincipal, KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator);
    }

    /// <summary>Stops the host as a shutdown would (hosted services stop, queued audit records are written).</summary>
    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    /// <summary>Starts a new host process-alike on the same tables, token key and (fixed) port.</summary>
    public async Task StartAsync()
    {
        _app = KmsLocalHostApp.Build([], builder =>
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{_port}");
            builder.Configuration["Kms:Storage:TablePrefix"] = TablePrefix;
            builder.Configuration["Kms:Auth:Mode"] = KmsAuthOptions.DevMode;
            builder.Configuration["Kms:Auth:DevIssuer:SigningKeyFile"] = _keyFile;
            builder.Configuration["Kms:Workflows:RotationScanInterval"] = "00:00:01";
            // Deletions with no waiting period, so the deletion operation can be driven to its end in a test.
            builder.Configuration["Kms:MinDeletionWaitingDays"] = "0";
            builder.Configuration.AddInMemoryCollection(_settings);
            builder.Logging.AddProvider(new CapturingLoggerProvider(Logs));
            builder.Services.AddSingleton<IKeyVersionProbe>(sp =>
                new FaultInjectingProbe(new KeyVersionProbe(sp.GetRequiredService<Kms.Core.Ports.IHsm>())));
        });
        await _app.Services.GetRequiredService<TableStoreInitializer>().EnsureCreatedAsync(CancellationToken.None);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.First());
    }

    /// <summary>The running host's services (null while stopped).</summary>
    public IServiceProvider? Services => _app?.Services;

    /// <summary>A client whose requests carry a fresh token for <paramref name="principal"/> with <paramref name="roles"/>.</summary>
    public HttpClient CreateClient(string principal, params string[] roles) => CreateClientWithToken(Token(principal, roles));

    public HttpClient CreateClientWithToken(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    public string Token(string principal, params string[] roles) =>
        Issuer.Mint(principal, roles, KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(30));

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _secrets.Delete(recursive: true);
        await StopAsync();
    }

    public async Task<JsonElement> PostOkAsync(string path, object body)
    {
        using var response = await Client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"{path} -> {(int)response.StatusCode}: {json}");
        return json;
    }

    /// <summary>Polls an operation until it reaches <paramref name="state"/> (90 s at most); fails at once if it ends otherwise.</summary>
    public async Task<JsonElement> WaitForOperationAsync(string operationId, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            var current = last.GetProperty("state").GetString();
            if (current == state)
            {
                return last;
            }

            Assert.False(current is "COMPLETED" or "FAILED" or "CANCELED", $"Operation {operationId} ended {current}, not {state}: {last}");
            await Task.Delay(200);
        }

        Assert.Fail($"Operation {operationId} did not reach {state} in time; last seen: {last}");
        return last;
    }

    /// <summary>Polls a running operation until its step is <paramref name="step"/> (120 s at most); fails at once if it ends first.</summary>
    public async Task<JsonElement> WaitForStepAsync(string operationId, string step)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.GetFromJsonAsync<JsonElement>($"/api/operations/{operationId}");
            if (last.TryGetProperty("step", out var current) && current.GetString() == step)
            {
                return last;
            }

            Assert.False(last.GetProperty("state").GetString() is "COMPLETED" or "FAILED" or "CANCELED",
                $"Operation {operationId} ended before step {step}: {last}");
            await Task.Delay(200);
        }

        Assert.Fail($"Operation {operationId} did not reach step {step} in time; last seen: {last}");
        return last;
    }

    public async Task<string> CreateKeyAsync(string keySpec, string? alias = null)
    {
        var key = await PostOkAsync("/api/keys", alias is null ? new { keySpec } : new { keySpec, alias });
        return key.GetProperty("keyId").GetString()!;
    }
}
