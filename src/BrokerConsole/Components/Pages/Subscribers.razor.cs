using Broker.Core.Connections;
using BrokerConsole.Api;
using Microsoft.AspNetCore.Components;

namespace BrokerConsole.Components.Pages;

/// <summary>
/// A broker's subscriptions (ActiveMQ's Subscribers page), live: those of connected clients, and the durable ones with
/// whether their subscriber is online; the admin may delete an inactive durable one behind a confirmation.
/// </summary>
public sealed partial class Subscribers : BrokerListPage<BrokerSubscriptions>
{
    [Inject]
    private ClientOperations Clients { get; set; } = null!;

    /// <summary>What tests and the delete button find a durable subscription by: client-id and name, as ActiveMQ names it.</summary>
    internal static string DurableKey(DurableSubscriptionInfo durable) => $"{durable.ClientId}:{durable.Name}";

    protected override BrokerSubscriptions Empty { get; } = new([], []);

    protected override BrokerSubscriptions Read(string broker) => Clients.Subscriptions(broker);

    private void AskDelete(DurableSubscriptionInfo durable) => Confirm.Ask(
        $"Delete durable subscription {DurableKey(durable)}?",
        $"The subscription on {durable.Topic} stops collecting"
        + (durable.Pending > 0 ? $" and the {durable.Pending} messages it kept are deleted" : "")
        + $". A subscriber that comes back as client-id '{durable.ClientId}' with the name '{durable.Name}' starts a new, empty one. This cannot be undone.",
        "Delete subscription", EventCallback.Factory.Create(this, () => ActAsync(user =>
        {
            Clients.DeleteDurableSubscription(user, SelectedBroker, durable.ClientId, durable.Name);
            return Task.CompletedTask;
        }, $"Deleted durable subscription {DurableKey(durable)}.")));
}
