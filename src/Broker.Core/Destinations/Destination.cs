using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>A queue or a topic, created on first use.</summary>
internal abstract class Destination(DestinationName name)
{
    public DestinationName Name { get; } = name;

    public abstract void Send(Message message);

    public abstract Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options);

    public abstract DestinationStatistics GetStatistics();

    public abstract void SweepExpired();

    /// <summary>Ends every subscription: the destination is being deleted or the broker stops.</summary>
    public abstract void Close(string reason);
}

/// <summary>A queue destination: every message goes to one consumer.</summary>
internal sealed class QueueDestination(DestinationName name, BrokerContext context) : Destination(name)
{
    public MessageQueue Queue { get; } = new(name.Name, context);

    public override void Send(Message message) => Queue.Enqueue(message);

    public override Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options) => Queue.AddConsumer(sink, options);

    public override DestinationStatistics GetStatistics() => new(Name.Name, DestinationKind.Queue,
        Queue.PendingCount, Queue.ConsumerCount, Queue.Enqueued, Queue.Dequeued, Queue.InFlightCount);

    public override void SweepExpired() => Queue.SweepExpired();

    public override void Close(string reason) => Queue.CloseConsumers(reason);
}
