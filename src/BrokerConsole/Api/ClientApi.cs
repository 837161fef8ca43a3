using System.Security.Claims;
using Broker.Core.Connections;
using BrokerConsole.Security;

namespace BrokerConsole.Api;

/// <summary>
/// Connections and subscriptions over HTTP (docs/API.md): lists for viewers; closing a connection and deleting an
/// inactive durable subscription for administrators, audited. <c>?host=</c> forwards them like every broker route.
/// </summary>
public static class ClientApi
{
    public static void MapClientApi(this WebApplication app)
    {
        var view = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.ViewPolicy);
        var admin = app.MapGroup("/api/brokers/{b}").RequireAuthorization(SecurityExtensions.AdministerPolicy);

        view.MapGet("/connections", (string b, ClientOperations clients) =>
            ApiResults.From(() => Results.Ok(clients.Connections(b).Select(View))));
        admin.MapDelete("/connections/{id}", (string b, string id, ClaimsPrincipal user, ClientOperations clients) =>
            ApiResults.From(() =>
            {
                clients.CloseConnection(user, b, id);
                return Results.NoContent();
            }));
        view.MapGet("/subscriptions", (string b, ClientOperations clients) =>
            ApiResults.From(() =>
            {
                var subscriptions = clients.Subscriptions(b);
                return Results.Ok(new { live = subscriptions.Live.Select(View), durable = subscriptions.Durable.Select(View) });
            }));
        admin.MapDelete("/durable-subscriptions/{clientId}/{name}", (string b, string clientId, string name, ClaimsPrincipal user, ClientOperations clients) =>
            ApiResults.From(() =>
            {
                clients.DeleteDurableSubscription(user, b, clientId, name);
                return Results.NoContent();
            }));
    }

    internal static object View(ClientConnectionInfo connection) => new
    {
        id = connection.ConnectionId,
        remoteAddress = connection.RemoteAddress,
        user = connection.User,
        protocolVersion = connection.ProtocolVersion,
        clientId = connection.ClientId,
        connectedAt = connection.ConnectedAt,
        transport = connection.Transport,
        subscriptions = connection.Subscriptions.Count,
        inFlight = connection.InFlight,
        messagesIn = connection.MessagesIn,
        messagesOut = connection.MessagesOut,
    };

    internal static object View(LiveSubscriptionInfo subscription) => new
    {
        connectionId = subscription.ConnectionId,
        subscriptionId = subscription.SubscriptionId,
        destination = subscription.Destination,
        ackMode = subscription.AckMode,
        prefetch = subscription.Prefetch,
        selector = subscription.Selector,
        durableName = subscription.DurableName,
        pending = subscription.Pending,
        inFlight = subscription.InFlight,
    };

    internal static object View(DurableSubscriptionInfo subscription) => new
    {
        clientId = subscription.ClientId,
        name = subscription.Name,
        topic = subscription.Topic,
        selector = subscription.Selector,
        active = subscription.Active,
        pending = subscription.Pending,
    };
}
