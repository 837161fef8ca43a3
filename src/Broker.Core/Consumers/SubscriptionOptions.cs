namespace Broker.Core.Consumers;

/// <summary>How a subscriber asked to receive messages.</summary>
public sealed record SubscriptionOptions
{
    public AckMode AckMode { get; init; } = AckMode.Auto;

    /// <summary>How many unacknowledged messages the consumer may hold (ActiveMQ's <c>activemq.prefetchSize</c>).</summary>
    public int Prefetch { get; init; } = 1000;

    /// <summary>With <see cref="ClientId"/>, makes a topic subscription durable (<c>activemq.subscriptionName</c>).</summary>
    public string? DurableName { get; init; }

    public string? ClientId { get; init; }

    /// <summary>Who subscribes, for statistics and logs (a connection id).</summary>
    public string Owner { get; init; } = "";
}
