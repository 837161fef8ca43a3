using System.Net;
using System.Net.Sockets;

namespace Broker.Testing;

/// <summary>
/// Ports for listeners a test opens later or opens again (a broker restarted on its port after a SIGKILL). They come
/// from below Linux's ephemeral range (32768-60999), so no outgoing connection of this machine can take one while it
/// is released; each process starts at a random place in the range and never hands a port out twice, and a port is
/// handed out only if it binds now. (Port 0's answer lies inside the ephemeral range: between a test's release and its
/// rebind any client socket of a test running beside it could take it.)
/// </summary>
public static class FreePorts
{
    private const int First = 20000;
    private const int Count = 12000;
    private static int _next = Random.Shared.Next(Count);

    public static int Next()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (Interlocked.Increment(ref _next) % Count);
            if (Binds(port))
            {
                return port;
            }
        }
        throw new InvalidOperationException($"no free port in {First}-{First + Count - 1}");
    }

    private static bool Binds(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
