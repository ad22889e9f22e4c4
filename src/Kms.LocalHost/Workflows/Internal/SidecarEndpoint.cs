using System.Net.Sockets;
using Grpc.Net.Client;

namespace Kms.LocalHost.Workflows.Internal;

/// <summary>
/// Where the sidecar listens: a unix domain socket in a fresh temp path (no port to choose or collide with, reachable
/// only from this machine), and the one gRPC channel the worker and the client share to reach it.
/// </summary>
internal sealed class SidecarEndpoint : IDisposable
{
    // sun_path holds 108 bytes on Linux and 104 on macOS, terminator included.
    private const int MaxSocketPathLength = 100;

    public SidecarEndpoint()
    {
        var name = $"kms-wf-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}.sock";
        var path = Path.Combine(Path.GetTempPath(), name);
        SocketPath = path.Length <= MaxSocketPathLength || OperatingSystem.IsWindows() ? path : Path.Combine("/tmp", name);

        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            // The worker's work-item stream stays open for the host's lifetime; pings notice a dead peer.
            KeepAlivePingDelay = TimeSpan.FromSeconds(60),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        // The host name is never resolved: every connection goes to the socket.
        Channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public string SocketPath { get; }

    public GrpcChannel Channel { get; }

    public void DeleteSocketFile()
    {
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // Best effort: a stale socket file in the temp folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        Channel.Dispose();
        DeleteSocketFile();
    }
}
