using Broker.Core.Connections;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's logged-in client connections (ActiveMQ's and RabbitMQ's Connections page) and the admin's close behind
/// a confirmation. Read when the page opens, then every second while it is open (connections have no change stream), on Refresh and after a close.
/// </summary>
public sealed partial class Connections : LiveComponent<IReadOnlyList<ClientConnectionInfo>>
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

    /// <summary>How often an open page reads the list again.</summary>
    internal static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(1);

    protected override object? StreamKey => SelectedBroker;

    protected override async Task OnParametersSetAsync()
    {
        // Read at once, so the first render shows the list; then live.
        Load();
        await base.OnParametersSetAsync();
    }

    protected override IAsyncEnumerable<IReadOnlyList<ClientConnectionInfo>> Watch(CancellationToken cancellationToken) =>
        Polled.Every(RefreshEvery, ReadOrKeep, cancellationToken);

    /// <summary>A fresh list, or the one shown when the broker cannot answer now (the page already says why).</summary>
    private IReadOnlyList<ClientConnectionInfo> ReadOrKeep()
    {
        try
        {
            return Clients.Connections(SelectedBroker);
        }
        catch (OperationException)
        {
            return _connections;
        }
    }

    protected override Task ShowAsync(IReadOnlyList<ClientConnectionInfo> batch)
    {
        _connections = batch;
        return Task.CompletedTask;
    }

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
