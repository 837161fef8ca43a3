using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Selectors;
using Broker.Core.Storage;

namespace Broker.Core.Destinations;

/// <summary>
/// A topic: each message goes to every current subscription. Each subscription is a private queue with one
/// consumer; a durable one (client-id + subscription name) outlives its subscriber, keeps collecting, and is
/// journaled like a queue.
/// </summary>
internal sealed class TopicDestination(DestinationName name, BrokerContext context) : Destination(name)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, MessageQueue> _durable = [];
    private MessageQueue[] _subscriptions = [];
    private long _published;

    public override IReadOnlyList<MessageQueue> Targets => Volatile.Read(ref _subscriptions);

    public IEnumerable<MessageQueue> DurableSubscriptions
    {
        get { lock (_lock) { return [.. _durable.Values]; } }
    }

    public override Task Send(Message message, string? producerId, long producerSequence)
    {
        // Copy-on-write array: publishing never takes the topic lock.
        Interlocked.Increment(ref _published);
        var durable = Task.CompletedTask;
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            if (subscription.Selector is { } selector && !selector.Matches(message))
            {
                continue;
            }
            var stored = subscription.Enqueue(message, producerId, producerSequence);
            durable = stored.IsCompleted ? durable : stored;
        }
        return durable;
    }

    public override Consumer Subscribe(IDeliverySink sink, SubscriptionOptions options)
    {
        if (options.DurableName is { } durableName && !string.IsNullOrEmpty(options.ClientId))
        {
            return SubscribeDurable(QueueKey.ForDurable(Name.Name, options.ClientId, durableName), sink, options);
        }
        var queue = new MessageQueue(new QueueKey($"{Name.Name}#{options.Owner}"),
            context, new PendingLimit(context.Options.TopicPendingLimit, context.Options.SlowConsumerPolicy))
        {
            IsDurable = false,
            LastConsumerLeft = RemoveSubscription,
            Selector = options.Selector,
        };
        // The subscription keeps only what the selector matches: its one consumer takes everything that is kept.
        var consumer = queue.AddConsumer(sink, options with { Selector = null });
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions, queue];
        }
        return consumer;
    }

    /// <summary>Creates (or finds) a durable subscription without a subscriber: recovery, or its first SUBSCRIBE.</summary>
    public MessageQueue EnsureDurable(QueueKey key, bool journal, MessageSelector? selector = null)
    {
        lock (_lock)
        {
            if (_durable.TryGetValue(key.Queue, out var queue))
            {
                return queue;
            }
            if (journal)
            {
                context.Append(new DurableSubscriptionCreatedRecord(key, selector?.Text));
            }
            queue = new MessageQueue(key, context) { Selector = selector };
            _durable[key.Queue] = queue;
            _subscriptions = [.. _subscriptions, queue];
            return queue;
        }
    }

    public MessageQueue? FindDurable(string clientId, string durableName)
    {
        lock (_lock)
        {
            return _durable.GetValueOrDefault(QueueKey.ForDurable(Name.Name, clientId, durableName).Queue);
        }
    }

    /// <summary>Deletes a durable subscription and what it kept (UNSUBSCRIBE naming the subscription).</summary>
    public bool RemoveDurable(string clientId, string durableName, bool journal = true)
    {
        var key = QueueKey.ForDurable(Name.Name, clientId, durableName);
        MessageQueue? queue;
        lock (_lock)
        {
            if (!_durable.Remove(key.Queue, out queue))
            {
                return false;
            }
            _subscriptions = [.. _subscriptions.Where(s => s != queue)];
            if (journal)
            {
                context.Append(new DurableSubscriptionRemovedRecord(key));
            }
        }
        queue.CloseConsumers("durable subscription removed");
        queue.Purge(RemovalReason.Deleted);
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

    /// <summary>A durable subscription keeps its topic even with no subscriber online and nothing kept.</summary>
    protected override bool HoldsNothing()
    {
        lock (_lock)
        {
            return _subscriptions.Length == 0 && _durable.Count == 0;
        }
    }

    public override void Close(string reason)
    {
        foreach (var subscription in Volatile.Read(ref _subscriptions))
        {
            subscription.CloseConsumers(reason);
        }
    }

    /// <summary>The topic is deleted: its durable subscriptions and what they kept go with it.</summary>
    public void DropDurableSubscriptions()
    {
        foreach (var queue in DurableSubscriptions)
        {
            RemoveDurable(queue.Key.ClientId!, queue.Key.Subscription!);
        }
    }

    private Consumer SubscribeDurable(QueueKey key, IDeliverySink sink, SubscriptionOptions options)
    {
        // Under the topic lock, so two subscribers racing for one durable subscription cannot both get in.
        lock (_lock)
        {
            if (_durable.TryGetValue(key.Queue, out var existing) && existing.Selector?.Text != options.Selector?.Text
                && existing.ConsumerCount == 0)
            {
                // As ActiveMQ does: a durable subscription asked for with another selector is a new subscription.
                RemoveDurable(options.ClientId!, options.DurableName!);
            }
            var queue = EnsureDurable(key, journal: true, options.Selector);
            if (queue.ConsumerCount > 0)
            {
                throw new BrokerException($"durable subscription '{options.ClientId}:{options.DurableName}' on {Name} is already active");
            }
            return queue.AddConsumer(sink, options with { Selector = null });
        }
    }

    private void RemoveSubscription(MessageQueue queue)
    {
        lock (_lock)
        {
            _subscriptions = [.. _subscriptions.Where(s => s != queue)];
        }
        queue.Purge(RemovalReason.Discarded);
    }
}
