namespace Broker.Stomp.Sessions;

/// <summary>
/// What a connector already did for a connection before its session starts: it holds the connection's place in
/// the broker's <c>MaxConnections</c> (the session does not count it again), the CONNECT deadline runs from
/// <paramref name="AcceptedAt"/> (an <see cref="Environment.TickCount64"/>), and <paramref name="LoggedIn"/> is
/// called once the client's CONNECT is accepted.
/// </summary>
public sealed record AcceptedConnection(long AcceptedAt, Action LoggedIn);
