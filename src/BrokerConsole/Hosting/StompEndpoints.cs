using System.Net.Sockets;
using Broker.Server;
using Broker.Stomp.Connectors;

namespace BrokerConsole.Hosting;

/// <summary>A broker's STOMP connectors as its lifecycle opens and closes them: all or none.</summary>
internal sealed class StompEndpoints(string brokerName, IReadOnlyList<StompTcpConnector> connectors) : IClientEndpoints
{
    public IReadOnlyList<StompTcpConnector> Connectors { get; } = connectors;

    public bool IsOpen { get; private set; }

    public int ClientPort => Connectors.Count == 0 ? 0 : Connectors[0].BoundPort is > 0 and var bound ? bound : Connectors[0].Uri.Port;

    public bool ClientTls => Connectors.Count > 0 && Connectors[0].Uri.Tls;

    public void Open()
    {
        try
        {
            foreach (var connector in Connectors)
            {
                connector.Start();
            }
        }
        catch (ConnectorBindException e)
        {
            // Its message names broker, URI and port already.
            CloseAsync().GetAwaiter().GetResult();
            throw new EndpointUnavailableException(e.Message, e);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            var failed = Connectors.FirstOrDefault(c => !c.IsOpen);
            CloseAsync().GetAwaiter().GetResult();
            throw new EndpointUnavailableException(
                $"broker {brokerName}: connector {failed?.Uri.Text} (port {failed?.Uri.Port}) cannot be opened: {e.Message}", e);
        }
        IsOpen = true;
    }

    public async Task CloseAsync()
    {
        IsOpen = false;
        foreach (var connector in Connectors)
        {
            await connector.StopAsync();
        }
    }
}
