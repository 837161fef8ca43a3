using Broker.Core.Connections;
using BrokerConsole.Api;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's logged-in client connections (ActiveMQ's and RabbitMQ's Connections page), live, and the admin's close
/// behind a confirmation.
/// </summary>
public sealed partial class Connections : BrokerListPage<IReadOnlyList<ClientConnectionInfo>>
{
    [Inject]
    private ClientOperations Clients { get; set; } = null!;

    protected override IReadOnlyList<ClientConnectionInfo> Empty => [];

    protected override IReadOnlyList<ClientConnectionInfo> Read(string broker) => Clients.Connections(broker);

    private void AskClose(ClientConnectionInfo connection) => Confirm.Ask(
        $"Close connection {connection.ConnectionId}?",
        $"{connection.User} at {connection.RemoteAddress} gets an ERROR saying an operator closed the connection, then {SelectedBroker} closes it. "
        + (connection.InFlight > 0 ? $"Its {connection.InFlight} unacknowledged messages go back to their queues for redelivery. " : "")
        + "A client with failover reconnects as it does after any ERROR.",
        "Close connection", EventCallback.Factory.Create(this, () => ActAsync(user =>
        {
            Clients.CloseConnection(user, SelectedBroker, connection.ConnectionId);
            return Task.CompletedTask;
        }, $"Closed connection {connection.ConnectionId}.")));
}
