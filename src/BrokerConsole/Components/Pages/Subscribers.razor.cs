using Broker.Core.Connections;
using BrokerConsole.Api;
using BrokerConsole.Components.Controls;
using BrokerConsole.Monitoring;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's subscriptions (ActiveMQ's Subscribers page): those of connected clients, and the durable ones with
/// whether their subscriber is online; the admin may delete an inactive durable one behind a confirmation. Read when
/// the page opens, on Refresh and after a delete.
/// </summary>
public sealed partial class Subscribers : ComponentBase
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

    protected override void OnParametersSet() => Load();

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
