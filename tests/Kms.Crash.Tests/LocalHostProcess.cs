using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Kms.Api.Security;
using Kms.Core.Authorization;
using Kms.Testing;

namespace Kms.Crash.Tests;

/// <summary>
/// Kms.LocalHost (the Release build of the solution) as a separate OS process on a free loopback port, over the
/// local stack of infra/local/test.sh, with tables (and so a task hub) of its own. <see cref="KillHard"/> kills it
/// as a crash would; <see cref="StartAgainAsync"/> starts a new process on the same tables, token key and port.
/// Its stdout and stderr go to <see cref="LogFile"/>.
/// </summary>
public sealed class LocalHostProcess : IAsyncDisposable
{
    public const string Principal = "crash-admin";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("kms-crash");
    private readonly Dictionary<string, string> _environment;
    private readonly string _hostDll;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _recentLines = new();
    private Process? _process;
    private int _starts;
    private bool _logClosed;

    private LocalHostProcess(IReadOnlyDictionary<string, string>? settings)
    {
        _hostDll = Path.Combine(RepoRoot(), "src", "Kms.LocalHost", "bin", "Release", "net10.0", "Kms.LocalHost.dll");
        if (!File.Exists(_hostDll))
        {
            throw new InvalidOperationException($"{_hostDll} is missing: build the solution in Release first (infra/local/test.sh does).");
        }

        var keyFile = Path.Combine(_data.FullName, "dev-issuer.pem");
        DevTokenIssuer.EnsureKeyFile(keyFile);
        Issuer = DevTokenIssuer.Load(keyFile);
        Port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        LogFile = Path.Combine(_data.FullName, "host.log");
        _log = new StreamWriter(LogFile, append: true) { AutoFlush = true };

        var storage = LocalStack.Require("Kms:Storage:ConnectionString");
        _environment = new Dictionary<string, string>
        {
            ["KMS_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Kms__Storage__TablePrefix"] = TablePrefix,
            ["Kms__Auth__Mode"] = KmsAuthOptions.DevMode,
            ["Kms__Auth__Audience"] = KmsAuthOptions.DefaultAudience,
            ["Kms__Auth__DevIssuer__SigningKeyFile"] = keyFile,
            ["Logging__LogLevel__Default"] = "Warning",
            // The rewrap jobs' table source named "local" is the stack's own Azurite.
            ["Kms__Rewrap__Connections__local"] = storage,
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            // "{port}" stands for the host's own port (e.g. its stand-in Event Grid topic), chosen here.
            _environment[name] = value.Replace("{port}", _environment["KMS_PORT"], StringComparison.Ordinal);
        }
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    /// <summary>The host's table prefix; its task hub is this + "hub".</summary>
    public string TablePrefix { get; } = LocalStack.UniqueName("crash");

    public string LogFile { get; }

    public DevTokenIssuer Issuer { get; }

    /// <summary>The process id of the running host (null when none runs).</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>Starts the host and waits until it is healthy.</summary>
    /// <param name="settings">Extra environment variables for the host (e.g. Kms__Workflows__*), on top of the test run's;
    /// "{port}" in a value becomes the host's port.</param>
    public static async Task<LocalHostProcess> StartAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var host = new LocalHostProcess(settings);
        try
        {
            await host.StartProcessAsync();
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>SIGKILL, as a crash or an OOM kill would: no shutdown code runs. Returns when the process is gone.</summary>
    public void KillHard()
    {
        var process = _process ?? throw new InvalidOperationException("The host is not running.");
        // On Linux this is SIGKILL to the process and its children.
        process.Kill(entireProcessTree: true);
        AwaitExit(process, "SIGKILL");
    }

    /// <summary>SIGTERM, as a deployment or Ctrl-C stops it: the host's shutdown code runs. Returns when the process is gone.</summary>
    public void StopGracefully()
    {
        var process = _process ?? throw new InvalidOperationException("The host is not running.");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        AwaitExit(process, "SIGTERM");
    }

    private void AwaitExit(Process process, string signal)
    {
        if (!process.WaitForExit(ExitTimeout))
        {
            throw new TimeoutException($"Kms.LocalHost (pid {process.Id}) did not exit within {ExitTimeout.TotalSeconds} s of {signal}:{Environment.NewLine}{LogTail()}");
        }

        // The parameterless wait returns once the redirected output is drained.
        process.WaitForExit();
        WriteLog($"--- stopped with {signal} (pid {process.Id}, exit code {process.ExitCode}) ---");
        process.Dispose();
        _process = null;
    }

    /// <summary>Starts a new host process with the same settings, tables and port; waits until it is healthy.</summary>
    public Task StartAgainAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The host still runs: kill it first.");
        }

        return StartProcessAsync();
    }

    /// <summary>A client whose requests carry a fresh 30-minute token for <paramref name="principal"/>.</summary>
    public HttpClient CreateClient(string principal = Principal, params string[] roles)
    {
        if (roles.Length == 0)
        {
            roles = [KmsRoles.Admin, KmsRoles.Crypto, KmsRoles.Operator];
        }

        var token = Issuer.Mint(principal, roles, KmsAuthOptions.DefaultAudience, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(30));
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The last lines the host processes wrote, for failure messages.</summary>
    public string LogTail(int lines = 40) => string.Join(Environment.NewLine, _recentLines.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(ExitTimeout);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Already gone, or stuck: nothing more a test can do about it.
            }

            process.Dispose();
            _process = null;
        }

        lock (_log)
        {
            _logClosed = true;
            _log.Dispose();
        }

        if (Environment.GetEnvironmentVariable("KMS_KEEP_TEST_DATA") != "1")
        {
            _data.Delete(recursive: true);
        }
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            // The content root: appsettings.json is read from here.
            WorkingDirectory = Path.GetDirectoryName(_hostDll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_hostDll);
        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => WriteLog(e.Data);
        process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        _starts++;
        WriteLog($"--- start {_starts}: pid {process.Id}, port {Port}, table prefix {TablePrefix} ---");
        await WaitUntilHealthyAsync(process);
    }

    private async Task WaitUntilHealthyAsync(Process process)
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var last = "no answer";
        while (deadline.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Kms.LocalHost exited with code {process.ExitCode} during start-up:{Environment.NewLine}{LogTail()}");
            }

            try
            {
                using var response = await probe.GetAsync("/api/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }

                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException(
            $"Kms.LocalHost was not healthy within {StartTimeout.TotalSeconds} s (last: {last}):{Environment.NewLine}{LogTail()}");
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        _recentLines.Enqueue(line);
        while (_recentLines.Count > 200 && _recentLines.TryDequeue(out _))
        {
        }

        lock (_log)
        {
            // Output can still arrive while the host is being disposed.
            if (!_logClosed)
            {
                _log.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KmsFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"KmsFunctions.sln not found above {AppContext.BaseDirectory}.");
    }
}
