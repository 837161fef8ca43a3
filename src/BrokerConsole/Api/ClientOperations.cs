using System.Security.Claims;
using Broker.Core;
using Broker.Core.Connections;

namespace BrokerConsole.Api;

/// <summary>
/// A broker's client connections and subscriptions as the HTTP API and the console show them, and the two changes an
/// operator may make: close a connection, delete a durable subscription nobody is using. Changes check the admin
/// role and write an audit line here.
/// </summary>
public sealed class ClientOperations(Func<string, MessageBroker?> findBroker, Audit audit)
{
    /// <summary>Every logged-in client connection, oldest first.</summary>
    public IReadOnlyList<ClientConnectionInfo> Connections(string broker) => Broker(broker).GetConnections();

    /// <summary>The subscriptions of every connection, and every durable subscription (online or not).</summary>
    public BrokerSubscriptions Subscriptions(string broker)
    {
        var found = Broker(broker);
        return new BrokerSubscriptions(
            [.. found.GetConnections().SelectMany(c => c.Subscriptions)],
            found.GetDurableSubscriptions());
    }

    /// <summary>Sends the client an ERROR saying an operator closed it, then closes the connection.</summary>
    public void CloseConnection(ClaimsPrincipal user, string broker, string connectionId)
    {
        Audit.RequireAdministrator(user);
        var reason = $"connection closed by an operator ({user.Identity?.Name ?? "?"})";
        if (!Broker(broker).CloseClientByOperator(connectionId, reason))
        {
            throw OperationException.NotFound($"no connection '{connectionId}' on broker {broker} (closed already, or never logged in)");
        }
        audit.Write(user, "close-connection", $"{broker}/connections/{connectionId}", "");
    }

    /// <summary>Deletes a durable subscription and the messages it kept; one with its subscriber online is refused.</summary>
    public void DeleteDurableSubscription(ClaimsPrincipal user, string broker, string clientId, string name)
    {
        Audit.RequireAdministrator(user);
        var found = Broker(broker);
        if (!found.IsWritable)
        {
            throw OperationException.Conflict($"broker {broker} takes no changes now ({(found.State == BrokerState.Started ? "handing over to its partner" : found.State.ToString().ToLowerInvariant())})");
        }
        bool removed;
        try
        {
            removed = found.RemoveDurableSubscription(clientId, name);
        }
        catch (BrokerException e)
        {
            throw OperationException.Conflict($"{e.Message}: close that connection first, then delete the subscription");
        }
        if (!removed)
        {
            throw OperationException.NotFound($"no durable subscription '{name}' for client-id '{clientId}' on broker {broker}");
        }
        audit.Write(user, "delete-durable-subscription", $"{broker}/durable-subscriptions/{clientId}/{name}", "");
    }

    private MessageBroker Broker(string name) => findBroker(name) ?? throw OperationException.UnknownBroker(name);
}

/// <summary>A broker's subscriptions: those of its connections now, and its durable ones.</summary>
public sealed record BrokerSubscriptions(IReadOnlyList<LiveSubscriptionInfo> Live, IReadOnlyList<DurableSubscriptionInfo> Durable);
