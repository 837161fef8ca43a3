namespace Broker.Core.Connections;

/// <summary>
/// A logged-in client connection as the broker's operators see it, whatever protocol serves it. A protocol adapter
/// registers each of its connections with <see cref="MessageBroker.RegisterConnection"/>; the console lists them and
/// may close one.
/// </summary>
public interface IClientConnection
{
    string ConnectionId { get; }

    /// <summary>What the connection is doing now; safe to call from any thread.</summary>
    ClientConnectionInfo Describe();

    /// <summary>Tells the client an operator closed it (a protocol error frame saying so), then closes the connection.</summary>
    void CloseByOperator(string reason);
}

/// <summary>One client connection at one moment.</summary>
/// <param name="Transport"><c>tcp</c>, <c>tls</c> or <c>websocket</c></param>
/// <param name="MessagesIn">messages the client sent</param>
/// <param name="MessagesOut">messages written to the client</param>
public sealed record ClientConnectionInfo(
    string ConnectionId,
    string RemoteAddress,
    string User,
    string ProtocolVersion,
    string? ClientId,
    DateTimeOffset ConnectedAt,
    string Transport,
    IReadOnlyList<LiveSubscriptionInfo> Subscriptions,
    long MessagesIn,
    long MessagesOut)
{
    /// <summary>Messages delivered to the client and not yet acknowledged, over all its subscriptions.</summary>
    public int InFlight => Subscriptions.Sum(s => s.InFlight);
}

/// <summary>
/// One subscription of a connection. <paramref name="Pending"/> is what waits for it: on a queue, the queue's waiting
/// messages (shared with the queue's other consumers); on a topic, what its own subscription holds.
/// </summary>
public sealed record LiveSubscriptionInfo(
    string ConnectionId,
    string SubscriptionId,
    string Destination,
    string AckMode,
    int Prefetch,
    string? Selector,
    string? DurableName,
    int Pending,
    int InFlight);
