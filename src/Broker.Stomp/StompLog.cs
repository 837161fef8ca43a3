using Microsoft.Extensions.Logging;

namespace Broker.Stomp;

/// <summary>The STOMP adapter's log lines; event ids 2000-2999.</summary>
internal static partial class StompLog
{
    [LoggerMessage(2000, LogLevel.Debug, "Connection {ConnectionId} opened from {RemoteAddress}")]
    public static partial void Connected(ILogger logger, string connectionId, string remoteAddress);

    [LoggerMessage(2001, LogLevel.Debug, "Connection {ConnectionId} closed")]
    public static partial void Disconnected(ILogger logger, string connectionId);

    [LoggerMessage(2002, LogLevel.Debug, "Connection {ConnectionId} logged in as {User} with STOMP {Version} (heart-beats in {IncomingMs} ms, out {OutgoingMs} ms)")]
    public static partial void LoggedIn(ILogger logger, string connectionId, string user, string version, int incomingMs, int outgoingMs);

    [LoggerMessage(2003, LogLevel.Warning, "Connection {ConnectionId} failed to log in as {Login}")]
    public static partial void LoginFailed(ILogger logger, string connectionId, string login);

    [LoggerMessage(2004, LogLevel.Information, "Connection {ConnectionId} broke the protocol: {Reason}")]
    public static partial void ProtocolError(ILogger logger, string connectionId, string reason);

    [LoggerMessage(2005, LogLevel.Information, "Connection {ConnectionId}: {Command} refused: {Reason}")]
    public static partial void Refused(ILogger logger, string connectionId, string command, string reason);

    [LoggerMessage(2006, LogLevel.Error, "Connection {ConnectionId}: unexpected error handling {Command}")]
    public static partial void UnexpectedError(ILogger logger, Exception exception, string connectionId, string command);

    [LoggerMessage(2007, LogLevel.Information, "Connection {ConnectionId} lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string connectionId, string reason);

    [LoggerMessage(2008, LogLevel.Information, "Connection {ConnectionId} missed its heart-beats ({IntervalMs} ms) and is closed")]
    public static partial void HeartbeatTimeout(ILogger logger, string connectionId, int intervalMs);

    [LoggerMessage(2009, LogLevel.Debug, "Connection {ConnectionId} sent no CONNECT within ConnectTimeout ({TimeoutMs} ms) and is closed")]
    public static partial void ConnectTimedOut(ILogger logger, string connectionId, long timeoutMs);

    [LoggerMessage(2010, LogLevel.Information, "Listening for connections at: {Uri}")]
    public static partial void Listening(ILogger logger, string uri);

    [LoggerMessage(2011, LogLevel.Information, "Connector {Uri} stopped")]
    public static partial void ConnectorStopped(ILogger logger, string uri);

    [LoggerMessage(2012, LogLevel.Warning, "Connector {Uri}: TLS handshake with {RemoteAddress} failed: {Reason}")]
    public static partial void TlsFailed(ILogger logger, string uri, string remoteAddress, string reason);

    [LoggerMessage(2013, LogLevel.Warning, "Connector {Uri} refused a connection from {RemoteAddress}: {Reason} ({Unlogged} more refused from that address since its last line; one line per address every {IntervalSeconds} s)")]
    public static partial void ConnectionRefused(ILogger logger, string uri, string remoteAddress, string reason, long unlogged, int intervalSeconds);

    [LoggerMessage(2014, LogLevel.Debug, "Connector {Uri}: the connection from {RemoteAddress} sent nothing a connector recognises within ConnectTimeout ({TimeoutMs} ms) and is closed")]
    public static partial void SilentConnectionClosed(ILogger logger, string uri, string remoteAddress, long timeoutMs);
}
