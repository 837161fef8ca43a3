using System.Net.Sockets;

namespace Broker.Stomp.Connectors;

/// <summary>
/// A connector could not listen: its port is taken (another broker or program), its address is not this machine's,
/// or binding is not allowed. The message names the broker, the URI and the port, for the operator to act on.
/// </summary>
public sealed class ConnectorBindException(string brokerName, string uri, int port, SocketException inner)
    : InvalidOperationException(Describe(brokerName, uri, port, inner), inner)
{
    public string BrokerName { get; } = brokerName;

    public string Uri { get; } = uri;

    public int Port { get; } = port;

    private static string Describe(string brokerName, string uri, int port, SocketException e) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse =>
            $"broker {brokerName} cannot listen at {uri}: port {port} is already in use (another broker or program listens there); free it or configure another port",
        SocketError.AddressNotAvailable =>
            $"broker {brokerName} cannot listen at {uri}: the address is not one of this machine's",
        SocketError.AccessDenied =>
            $"broker {brokerName} cannot listen at {uri}: binding port {port} is not allowed (ports below 1024 need privileges)",
        _ => $"broker {brokerName} cannot listen at {uri} (port {port}): {e.Message}",
    };
}
