using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Kms.Crash.Tests;

/// <summary>
/// A private Azurite (blob, queue, table) on free loopback ports with an on-disk data folder of its own, for tests that
/// stop storage: the stack's shared Azurite serves every other test and is never touched. <see cref="Stop"/> ends the
/// process; <see cref="StartAgainAsync"/> starts a new one on the same ports and folder, so the data written before is
/// there again.
/// </summary>
/// <remarks>
/// The binary is the one infra/local/test.sh installed (<c>KMS_AZURITE_BIN</c>, else infra/local/node_modules/.bin/azurite).
/// </remarks>
public sealed class AzuriteProcess : IAsyncDisposable
{
    private const string AccountName = "devstoreaccount1";

    // Azurite's well-known development key; not a secret.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("kms-azurite");
    private readonly string _binary;
    private readonly int[] _ports;
    private readonly ConcurrentQueue<string> _recentLines = new();
    private Process? _process;

    private AzuriteProcess(string binary, int[] ports)
    {
        _binary = binary;
        _ports = ports;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{ports[0]}/{AccountName};QueueEndpoint=http://127.0.0.1:{ports[1]}/{AccountName};" +
            $"TableEndpoint=http://127.0.0.1:{ports[2]}/{AccountName};";
    }

    public string ConnectionString { get; }

    /// <summary>Starts Azurite and waits until its three ports accept connections.</summary>
    public static async Task<AzuriteProcess> StartAsync()
    {
        var azurite = new AzuriteProcess(FindBinary(), FreePorts(3));
        try
        {
            await azurite.StartProcessAsync();
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }

        return azurite;
    }

    /// <summary>
    /// Stops Azurite with SIGTERM and returns once the process is gone: from then on every connection is refused.
    /// </summary>
    /// <remarks>
    /// Not SIGKILL: Azurite keeps its tables in LokiJS and writes them to disk only every 5 s and on shutdown, so a
    /// SIGKILL would also lose writes it had acknowledged, which Azure Storage never does. SIGTERM closes the
    /// listeners at once and flushes what it acknowledged, so what the KMS sees is an outage, not data loss.
    /// </remarks>
    public void Stop()
    {
        var process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        if (!process.WaitForExit(StopTimeout))
        {
            throw new TimeoutException($"Azurite (pid {process.Id}) did not exit within {StopTimeout.TotalSeconds} s of SIGTERM:{Environment.NewLine}{LogTail()}");
        }

        process.WaitForExit();
        process.Dispose();
        _process = null;
    }

    /// <summary>Starts Azurite again on the same ports and data folder.</summary>
    public Task StartAgainAsync() =>
        _process is null ? StartProcessAsync() : throw new InvalidOperationException("Azurite still runs: stop it first.");

    public string LogTail(int lines = 20) => string.Join(Environment.NewLine, _recentLines.TakeLast(lines));

    public async ValueTask DisposeAsync()
    {
        if (_process is { } process)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(StopTimeout);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                // Already gone, or stuck: nothing more a test can do about it.
            }

            process.Dispose();
            _process = null;
        }

        if (Environment.GetEnvironmentVariable("KMS_KEEP_TEST_DATA") != "1")
        {
            _data.Delete(recursive: true);
        }
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            "--blobHost", "127.0.0.1", "--blobPort", Port(0), "--queueHost", "127.0.0.1", "--queuePort", Port(1),
            "--tableHost", "127.0.0.1", "--tablePort", Port(2), "--location", _data.FullName,
            "--skipApiVersionCheck", "--loose", "--disableTelemetry",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var elapsed = Stopwatch.StartNew();
        while (!_ports.All(PortOpen))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with code {process.ExitCode} during start-up:{Environment.NewLine}{LogTail()}");
            }

            if (elapsed.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"Azurite did not listen within {StartTimeout.TotalSeconds} s:{Environment.NewLine}{LogTail()}");
            }

            await Task.Delay(100);
        }
    }

    private string Port(int i) => _ports[i].ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _recentLines.Enqueue(line);
        while (_recentLines.Count > 100 && _recentLines.TryDequeue(out _))
        {
        }
    }

    private static bool PortOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Distinct free ports: all listeners are open at once, then closed.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static string FindBinary()
    {
        if (Environment.GetEnvironmentVariable("KMS_AZURITE_BIN") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }

        var installed = Path.Combine(LocalHostProcess.RepoRoot(), "infra", "local", "node_modules", ".bin", "azurite");
        return File.Exists(installed)
            ? installed
            : throw new InvalidOperationException($"Azurite is not installed at {installed}: run the tests with infra/local/test.sh, which installs it.");
    }
}
