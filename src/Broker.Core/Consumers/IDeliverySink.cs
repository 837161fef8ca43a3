namespace Broker.Core.Consumers;

/// <summary>
/// Where a consumer's messages go: the protocol adapter's side of a subscription. Both methods are called
/// while the destination holds its lock, so they must only queue work (never block, never call back into the
/// broker); the consumer's prefetch window is what bounds the queued deliveries.
/// </summary>
public interface IDeliverySink
{
    void Deliver(Consumer consumer, Delivery delivery);

    /// <summary>The broker ended the subscription (slow consumer, destination deleted, broker stopping).</summary>
    void Closed(Consumer consumer, string reason);
}
