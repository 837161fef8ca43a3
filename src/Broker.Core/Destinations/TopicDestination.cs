using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>
/// A topic: each message goes to every current subscription. Each subscription is a private queue with one
/// consumer; a durable one (client-id + subscription name) outlives its subscriber and keeps collecting.
/// </summary>
internal sealed class TopicDestination(DestinationName name, BrokerContext context) : Destination(name)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, MessageQueue> _durable = [];
    private MessageQueue[] _subscriptions = [];
    private long _published;

    public override void Send(Message message)
    {
        // Copy-on-write array: publishing never takes the topic lock.
        Interlocked.Increment(ref _published);
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.Enqueue(message);
        }
    }

    public override Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options)
    {
        if (options.DurableName is { } durableName && !string.IsNullOrEmpty(options.ClientId))
        {
            return SubscribeDurable(DurableKey(options.ClientId, durableName), sink, options);
        }
        var queue = new MessageQueue($"{Name.Name}#{options.Owner}",
            context, new PendingLimit(context.Options.TopicPendingLimit, context.Options.SlowConsumerPolicy))
        {
            LastConsumerLeft = RemoveSubscription,
        };
        var consumer = queue.AddConsumer(sink, options);
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions, queue];
        }
        return consumer;
    }

    /// <summary>Deletes a durable subscription and what it kept (UNSUBSCRIBE naming the subscription).</summary>
    public bool RemoveDurable(string clientId, string durableName)
    {
        MessageQueue? queue;
        lock (_lock)
        {
            if (!_durable.Remove(DurableKey(clientId, durableName), out queue))
            {
                return false;
            }
            _subscriptions = [.. _subscriptions.Where(s => s != queue)];
        }
        queue.CloseConsumers("durable subscription removed");
        queue.Purge();
        return true;
    }

    public override DestinationStatistics GetStatistics()
    {
        var subscriptions = Volatile.Read(ref _subscriptions);
        return new DestinationStatistics(Name.Name, DestinationKind.Topic,
            subscriptions.Sum(s => (long)s.PendingCount),
            subscriptions.Sum(s => s.ConsumerCount),
            Interlocked.Read(ref _published),
            subscriptions.Sum(s => s.Dequeued),
            subscriptions.Sum(s => (long)s.InFlightCount));
    }

    public override void SweepExpired()
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.SweepExpired();
        }
    }

    public override void Close(string reason)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.CloseConsumers(reason);
        }
    }

    private Consumer SubscribeDurable(string key, IDeliverySink sink, SubscriptionOptions options)
    {
        MessageQueue queue;
        lock (_lock)
        {
            if (!_durable.TryGetValue(key, out queue!))
            {
                queue = new MessageQueue($"{Name.Name}#{key}", context);
                _durable[key] = queue;
                _subscriptions = [.. _subscriptions, queue];
            }
            else if (queue.ConsumerCount > 0)
            {
                throw new BrokerException($"durable subscription '{key}' on {Name} is already active");
            }
        }
        return queue.AddConsumer(sink, options);
    }

    private void RemoveSubscription(MessageQueue queue)
    {
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions.Where(s => s != queue)];
        }
        queue.Purge();
    }

    private static string DurableKey(string clientId, string durableName) => $"{clientId}:{durableName}";
}
