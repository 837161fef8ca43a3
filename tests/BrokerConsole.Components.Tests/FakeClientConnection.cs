using Broker.Core.Connections;

namespace BrokerConsole.Components.Tests;

/// <summary>A client connection as a protocol adapter would register it: fixed figures; records the operator's close.</summary>
internal sealed class FakeClientConnection(string id, string user = "app", int inFlight = 0, params LiveSubscriptionInfo[] subscriptions) : IClientConnection
{
    private readonly DateTimeOffset _connectedAt = DateTimeOffset.UtcNow;

    public string ConnectionId => id;

    public string? ClosedWith { get; private set; }

    public static LiveSubscriptionInfo Subscription(string connectionId, string subscriptionId, string destination, int inFlight = 0, string? selector = null) =>
        new(connectionId, subscriptionId, destination, "client", 10, selector, null, 3, inFlight);

    public ClientConnectionInfo Describe() => new(id, "127.0.0.1:40000", user, "1.2", $"client-{id}",
        _connectedAt, "tcp", subscriptions.Length > 0 ? subscriptions : inFlight > 0 ? [Subscription(id, "s", "/queue/work", inFlight)] : [], 5, 7);

    public void CloseByOperator(string reason) => ClosedWith = reason;
}
