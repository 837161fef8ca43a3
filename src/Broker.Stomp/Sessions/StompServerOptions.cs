using Broker.Stomp.Protocol;

namespace Broker.Stomp.Sessions;

/// <summary>Per-connection protocol settings shared by every connector of a broker.</summary>
public sealed record StompServerOptions
{
    public static StompServerOptions Default { get; } = new();

    public StompLimits Limits { get; init; } = StompLimits.Default;

    /// <summary>How often we offer to send heart-beats, in ms (the client's wish wins when slower).</summary>
    public int HeartbeatSendMs { get; init; } = 1000;

    /// <summary>The fastest rate we ask clients to heart-beat at, in ms, whenever they offer to.</summary>
    public int HeartbeatReceiveMs { get; init; } = 1000;

    /// <summary>A connection silent for this many negotiated intervals is dead.</summary>
    public double HeartbeatGraceFactor { get; init; } = 2.0;

    /// <summary>
    /// Time a new connection has, from the accept, to log in: the TLS handshake, the first bytes and CONNECT (or a
    /// slave's replication handshake) all within it. A connection silent past it is closed.
    /// </summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections from one remote address that may be open at once without having logged in, per connector
    /// (0: no bound). Clients log in within milliseconds of connecting, so even a fleet behind one NAT
    /// reconnecting together after a failover rarely has more than a few in that state; 64 leaves them room
    /// while one address can hold at most 64 of <c>MaxConnections</c> with sockets that never speak.
    /// </summary>
    public int MaxUnauthenticatedPerAddress { get; init; } = 64;

    /// <summary>Replies (receipts, errors) waiting to be written before we stop reading from the client.</summary>
    public int MaxPendingFrames { get; init; } = 10_000;

    public string ServerName { get; init; } = "BrokerConsole/1.0";
}
