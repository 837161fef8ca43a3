using System.Net;

namespace Broker.Stomp.Connectors;

/// <summary>
/// Connections per remote address that have not logged in yet (no CONNECT accepted, or a replication handshake
/// not yet answered), bounded so one address cannot hold a broker's <c>MaxConnections</c> with sockets that never
/// speak. Zero means no bound.
/// </summary>
internal sealed class UnauthenticatedConnections(int maxPerAddress)
{
    private readonly Dictionary<IPAddress, int> _byAddress = [];
    private readonly Lock _lock = new();

    public int MaxPerAddress { get; } = maxPerAddress;

    public bool TryEnter(IPAddress address)
    {
        lock (_lock)
        {
            _byAddress.TryGetValue(address, out var count);
            if (MaxPerAddress > 0 && count >= MaxPerAddress)
            {
                return false;
            }
            _byAddress[address] = count + 1;
            return true;
        }
    }

    public void Leave(IPAddress address)
    {
        lock (_lock)
        {
            // Addresses at zero are forgotten, so the table holds only addresses with a connection open.
            if (_byAddress.TryGetValue(address, out var count) && count > 1)
            {
                _byAddress[address] = count - 1;
            }
            else
            {
                _byAddress.Remove(address);
            }
        }
    }

    public int CountOf(IPAddress address)
    {
        lock (_lock)
        {
            return _byAddress.GetValueOrDefault(address);
        }
    }
}
