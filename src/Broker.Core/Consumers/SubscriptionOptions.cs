using Broker.Core.Selectors;

namespace Broker.Core.Consumers;

/// <summary>How a subscriber asked to receive messages.</summary>
public sealed record SubscriptionOptions
{
    /// <summary>The highest <see cref="Priority"/> a consumer may ask for (ActiveMQ's range for <c>activemq.priority</c>).</summary>
    public const int MaxPriority = 127;

    public AckMode AckMode { get; init; } = AckMode.Auto;

    /// <summary>How many unacknowledged messages the consumer may hold (ActiveMQ's <c>activemq.prefetchSize</c>).</summary>
    public int Prefetch { get; init; } = 1000;

    /// <summary>With <see cref="ClientId"/>, makes a topic subscription durable (<c>activemq.subscriptionName</c>).</summary>
    public string? DurableName { get; init; }

    public string? ClientId { get; init; }

    /// <summary>Who subscribes, for statistics and logs (a connection id).</summary>
    public string Owner { get; init; } = "";

    /// <summary>
    /// ActiveMQ's <c>activemq.exclusive</c>: while an exclusive consumer is on a queue, the oldest one alone receives
    /// its messages; the next takes over when it leaves.
    /// </summary>
    public bool Exclusive { get; init; }

    /// <summary>
    /// ActiveMQ's <c>activemq.priority</c> (0..127): a queue's messages go to its highest-priority consumers while
    /// they have room in their prefetch window, to lower ones only when those are full.
    /// </summary>
    public int Priority { get; init; }

    /// <summary>
    /// The JMS selector (<c>selector</c> on SUBSCRIBE): on a queue, the consumer receives only the messages it matches
    /// and the others wait for another consumer; on a topic, the subscription keeps only what it matches.
    /// </summary>
    public MessageSelector? Selector { get; init; }

    /// <summary>Whether dispatch must look past arrival order and round-robin for this consumer.</summary>
    internal bool NeedsSelectiveDispatch => Exclusive || Priority != 0 || Selector is not null;
}
