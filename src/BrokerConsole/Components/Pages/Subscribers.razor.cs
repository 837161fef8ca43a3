using Broker.Core.Connections;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Components.Live;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's subscriptions (ActiveMQ's Subscribers page): those of connected clients, and the durable ones with
/// whether their subscriber is online; the admin may delete an inactive durable one behind a confirmation. Read when
/// the page opens, then every second while it is open, on Refresh and after a delete.
/// </summary>
public sealed partial class Subscribers : LiveComponent<BrokerSubscriptions>
{
    private BrokerSubscriptions _subscriptions = new([], []);
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

    /// <summary>What tests and the delete button find a durable subscription by: client-id and name, as ActiveMQ names it.</summary>
    internal static string DurableKey(DurableSubscriptionInfo durable) => $"{durable.ClientId}:{durable.Name}";

    /// <summary>How often an open page reads the list again.</summary>
    internal static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(1);

    protected override object? StreamKey => SelectedBroker;

    protected override async Task OnParametersSetAsync()
    {
        // Read at once, so the first render shows the list; then live.
        Load();
        await base.OnParametersSetAsync();
    }

    protected override IAsyncEnumerable<BrokerSubscriptions> Watch(CancellationToken cancellationToken) =>
        Polled.Every(RefreshEvery, ReadOrKeep, cancellationToken);

    /// <summary>A fresh list, or the one shown when the broker cannot answer now (the page already says why).</summary>
    private BrokerSubscriptions ReadOrKeep()
    {
        try
        {
            return Clients.Subscriptions(SelectedBroker);
        }
        catch (OperationException)
        {
            return _subscriptions;
        }
    }

    protected override Task ShowAsync(BrokerSubscriptions batch)
    {
        _subscriptions = batch;
        return Task.CompletedTask;
    }

    private void Load()
    {
        try
        {
            _subscriptions = Clients.Subscriptions(SelectedBroker);
        }
        catch (OperationException e)
        {
            (_subscriptions, _error) = (new([], []), e.Message);
        }
    }

    private void AskDelete(DurableSubscriptionInfo durable) => _confirm.Ask(
        $"Delete durable subscription {DurableKey(durable)}?",
        $"The subscription on {durable.Topic} stops collecting"
        + (durable.Pending > 0 ? $" and the {durable.Pending} messages it kept are deleted" : "")
        + $". A subscriber that comes back as client-id '{durable.ClientId}' with the name '{durable.Name}' starts a new, empty one. This cannot be undone.",
        "Delete subscription", EventCallback.Factory.Create(this, () => DeleteAsync(durable)));

    private async Task DeleteAsync(DurableSubscriptionInfo durable)
    {
        (_status, _error) = (null, null);
        try
        {
            Clients.DeleteDurableSubscription((await Authentication).User, SelectedBroker, durable.ClientId, durable.Name);
            _status = $"Deleted durable subscription {DurableKey(durable)}.";
        }
        catch (OperationException e)
        {
            _error = e.Message;
        }
        Load();
    }
}
