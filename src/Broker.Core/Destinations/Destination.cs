using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>A queue or a topic, created on first use.</summary>
internal abstract partial class Destination(DestinationName name)
{
    public DestinationName Name { get; } = name;

    /// <summary>Set for a topic named by a wildcard (<c>PRICE.&gt;</c>): its subscriptions get what matching topics get.</summary>
    public DestinationPattern? Pattern { get; } = DestinationPattern.Of(name);

    /// <summary>Delivers to the destination's queues; the task completes when the message is durable.</summary>
    public abstract Task Send(Message message, string? producerId, long producerSequence);

    /// <summary>The queues a message sent here lands in (a queue, or every current topic subscription).</summary>
    public abstract IReadOnlyList<MessageQueue> Targets { get; }

    public abstract Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options);

    public abstract DestinationStatistics GetStatistics();

    public abstract void SweepExpired();

    /// <summary>Ends every subscription: the destination is being deleted or the broker stops.</summary>
    public abstract void Close(string reason);
}

/// <summary>A queue destination: every message goes to one consumer.</summary>
internal sealed class QueueDestination(DestinationName name, BrokerContext context) : Destination(name)
{
    public MessageQueue Queue { get; } = new(Storage.QueueKey.ForQueue(name.Name), context);

    public override IReadOnlyList<MessageQueue> Targets => [Queue];

    public override Task Send(Message message, string? producerId, long producerSequence) =>
        Queue.Enqueue(message, producerId, producerSequence);

    public override Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options) => Queue.AddConsumer(sink, options);

    public override DestinationStatistics GetStatistics() => new(Name.Name, DestinationKind.Queue,
        Queue.PendingCount, Queue.ConsumerCount, Queue.Enqueued, Queue.Dequeued, Queue.InFlightCount);

    public override void SweepExpired() => Queue.SweepExpired();

    protected override bool HoldsNothing() => Queue.IsIdle;

    public override void Close(string reason) => Queue.CloseConsumers(reason);
}
