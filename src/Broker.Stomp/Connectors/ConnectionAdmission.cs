using System.Net;
using Broker.Core;

namespace Broker.Stomp.Connectors;

/// <summary>
/// What one accepted socket holds from accept to close: a place in the broker's <c>MaxConnections</c> and, until
/// it has logged in, one in its address's unauthenticated bound. Each is given back once, whichever comes first.
/// </summary>
internal sealed class ConnectionAdmission(MessageBroker broker, UnauthenticatedConnections unauthenticated, IPAddress address) : IDisposable
{
    private int _unauthenticated = 1;
    private int _counted = 1;

    /// <summary>Accepted at (<see cref="Environment.TickCount64"/>): the CONNECT deadline runs from here.</summary>
    public long AcceptedAt { get; } = Environment.TickCount64;

    public IPAddress Address => address;

    /// <summary>The client logged in: it no longer counts against its address's bound.</summary>
    public void LoggedIn()
    {
        if (Interlocked.Exchange(ref _unauthenticated, 0) == 1)
        {
            unauthenticated.Leave(address);
        }
    }

    /// <summary>
    /// The replication handoff answered the peer's handshake: from here it is the pair's link, which the
    /// replication side admits (one slave at a time), not a client connection.
    /// </summary>
    public void HandedOff()
    {
        LoggedIn();
        if (Interlocked.Exchange(ref _counted, 0) == 1)
        {
            broker.CloseConnection();
        }
    }

    public void Dispose() => HandedOff();
}
