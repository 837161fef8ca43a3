namespace Broker.Client;

/// <summary>The broker answered with an ERROR frame (its <c>message</c> header and body are in <see cref="Exception.Message"/>).</summary>
public sealed class StompErrorException(string message, IReadOnlyDictionary<string, string>? headers = null) : Exception(message)
{
    /// <summary>The ERROR frame's headers.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; } = headers ?? new Dictionary<string, string>();
}

/// <summary>The connection failed for good (no broker reachable within the reconnect limits) or was closed.</summary>
public sealed class StompConnectionException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The transaction did not commit: the link dropped while it was open, so the broker rolled it back (its SENDs
/// are discarded and its ACKed messages will be redelivered). Retry the whole unit of work.
/// </summary>
public sealed class StompTransactionRolledBackException(string message) : Exception(message);
