using System.Net.Sockets;

namespace Kms.KubernetesPlugin;

/// <summary>
/// An HTTP handler whose every connection goes to a unix socket: what a gRPC client (the tests, the benchmark, any
/// diagnostic tool) needs to call the plugin the way the API server does.
/// </summary>
public static class UnixSocketHttpHandler
{
    public static SocketsHttpHandler Create(string socketPath) => new()
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await client.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                return new NetworkStream(client, ownsSocket: true);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        },
    };
}
