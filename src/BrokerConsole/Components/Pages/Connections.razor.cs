using Broker.Core.Connections;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's logged-in client connections (ActiveMQ's and RabbitMQ's Connections page) and the admin's close behind
/// a confirmation. Read when the page opens, on Refresh and after a close: connections have no change stream.
/// </summary>
public sealed partial class Connections : ComponentBase
{
    private IReadOnlyList<ClientConnectionInfo> _connections = [];
    private ConfirmDialog _confirm = null!;
    private string? _status;
    private string? _error;

    [Parameter]
    public string? Broker { get; set; }

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = null!;

    [Inject]
    private IMonitorSource Monitor { get; set; } = null!;

    [Inject]
    private ClientOperations Clients { get; set; } = null!;

    private string SelectedBroker => Broker ?? Monitor.BrokerNames().FirstOrDefault() ?? "";

    protected override void OnParametersSet() => Load();

    private void Load()
    {
        try
        {
            _connections = Clients.Connections(SelectedBroker);
        }
        catch (OperationException e)
        {
            (_connections, _error) = ([], e.Message);
        }
    }

    private void AskClose(ClientConnectionInfo connection) => _confirm.Ask(
        $"Close connection {connection.ConnectionId}?",
        $"{connection.User} at {connection.RemoteAddress} gets an ERROR saying an operator closed the connection, then {SelectedBroker} closes it. "
        + (connection.InFlight > 0 ? $"Its {connection.InFlight} unacknowledged messages go back to their queues for redelivery. " : "")
        + "A client with failover reconnects as it does after any ERROR.",
        "Close connection", EventCallback.Factory.Create(this, () => CloseAsync(connection.ConnectionId)));

    private async Task CloseAsync(string connectionId)
    {
        (_status, _error) = (null, null);
        try
        {
            Clients.CloseConnection((await Authentication).User, SelectedBroker, connectionId);
            _status = $"Closed connection {connectionId}.";
        }
        catch (OperationException e)
        {
            _error = e.Message;
        }
        Load();
    }
}
