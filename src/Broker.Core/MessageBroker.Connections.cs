using System.Collections.Concurrent;
using Broker.Core.Connections;
using Broker.Core.Destinations;

namespace Broker.Core;

/// <summary>The logged-in client connections, and the durable subscriptions, as the console lists them.</summary>
public sealed partial class MessageBroker
{
    private readonly ConcurrentDictionary<string, IClientConnection> _clients = new();

    /// <summary>Lists <paramref name="connection"/> until the returned handle is disposed (when the connection ends).</summary>
    public IDisposable RegisterConnection(IClientConnection connection)
    {
        _clients[connection.ConnectionId] = connection;
        return new Registration(this, connection);
    }

    /// <summary>Every logged-in client connection, oldest first.</summary>
    public IReadOnlyList<ClientConnectionInfo> GetConnections() =>
        [.. _clients.Values.Select(c => c.Describe()).OrderBy(c => c.ConnectedAt).ThenBy(c => c.ConnectionId, StringComparer.Ordinal)];

    /// <summary>Closes one client connection for an operator; false when there is no such connection (it already left).</summary>
    public bool CloseClientByOperator(string connectionId, string reason)
    {
        // Unlisted at once, though the connection may take a moment to flush its ERROR and close: it is going, and a
        // second close of it is a 404.
        if (!_clients.TryRemove(connectionId, out var connection))
        {
            return false;
        }
        BrokerLog.ClientClosedByOperator(_logger, Name, connectionId, reason);
        connection.CloseByOperator(reason);
        return true;
    }

    /// <summary>Every durable topic subscription, by topic, client-id and name.</summary>
    public IReadOnlyList<DurableSubscriptionInfo> GetDurableSubscriptions() =>
        [.. _destinations.Values.OfType<TopicDestination>()
            .SelectMany(t => t.DurableSubscriptions.Select(q => new DurableSubscriptionInfo(
                q.Key.ClientId!, q.Key.Subscription!, t.Name.ToString(), q.Selector?.Text, q.ConsumerCount > 0, q.PendingCount)))
            .OrderBy(d => d.Topic, StringComparer.Ordinal).ThenBy(d => d.ClientId, StringComparer.Ordinal).ThenBy(d => d.Name, StringComparer.Ordinal)];

    private sealed class Registration(MessageBroker broker, IClientConnection connection) : IDisposable
    {
        // Only this connection's own entry: an id is never reused, but a stale handle must not remove a newer one.
        public void Dispose() => broker._clients.TryRemove(KeyValuePair.Create(connection.ConnectionId, connection));
    }
}
