namespace Broker.Server;

/// <summary>
/// A broker's client connectors as its lifecycle sees them: opened only while it serves as master, closed when
/// it stops, follows or is fenced. The host implements it over its STOMP connectors, so this project knows no
/// protocol.
/// </summary>
public interface IClientEndpoints
{
    /// <summary>Binds every connector.</summary>
    /// <exception cref="EndpointUnavailableException">A port is taken or cannot be bound (nothing stays open).</exception>
    void Open();

    Task CloseAsync();

    bool IsOpen { get; }

    /// <summary>The port clients reach this broker on (its first connector), which a demoted partner rejoins.</summary>
    int ClientPort { get; }

    /// <summary>Whether the first connector speaks TLS: a partner rejoins with <c>ssl://</c> then.</summary>
    bool ClientTls { get; }
}

/// <summary>A connector could not be opened (its port is in use, say); the message names broker, URI and port.</summary>
public sealed class EndpointUnavailableException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>A broker cannot start (a damaged or locked store, a bad setting found late); the message says why, for the operator.</summary>
public sealed class BrokerStartException(string message, Exception? inner = null) : Exception(message, inner);
