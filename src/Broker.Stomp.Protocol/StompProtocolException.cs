namespace Broker.Stomp.Protocol;

/// <summary>
/// The peer broke the protocol. The session answers with an ERROR frame carrying <see cref="Exception.Message"/>
/// and closes the connection: after a framing error the byte stream can no longer be trusted.
/// </summary>
public sealed class StompProtocolException(string message) : Exception(message);
