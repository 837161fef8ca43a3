using Broker.Core.Destinations;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core;

public sealed partial class MessageBroker
{
    /// <summary>
    /// Rebuilds destinations, durable subscriptions and queued messages from journal records, in order, before
    /// <see cref="Start"/>. Messages come back in their original order with their delivery counts, so one that
    /// was out with a consumer is redelivered marked as such. Past the memory limit bodies stay on disk.
    /// </summary>
    public void Recover(IMessageStore store, IEnumerable<(long Sequence, StoreRecord Record)> records)
    {
        if (State != BrokerState.Stopped || _destinations.Count > 0)
        {
            throw new InvalidOperationException("a broker recovers once, before it starts");
        }
        _context.Store = store;
        var queues = new Dictionary<string, RecoveredQueue>(StringComparer.Ordinal);
        var destinations = new HashSet<DestinationName>();
        long recordCount = 0;
        long bytesInMemory = 0;
        foreach (var (sequence, record) in records)
        {
            recordCount++;
            Apply(sequence, record);
        }
        foreach (var name in destinations)
        {
            GetOrCreate(name, journal: false, enforceLimit: false);
        }
        var messageCount = 0;
        foreach (var queue in queues.Values)
        {
            var target = queue.Key.IsDurableSubscription
                ? ((TopicDestination)GetOrCreate(DestinationName.Topic(queue.Key.Topic!), journal: false, enforceLimit: false)).EnsureDurable(queue.Key, journal: false)
                : ((QueueDestination)GetOrCreate(DestinationName.Queue(queue.Key.Queue), journal: false, enforceLimit: false)).Queue;
            foreach (var (sequence, message) in queue.Messages.OrderBy(m => m.Key))
            {
                target.EnqueueStored(message.Message, sequence, message.DeliveryCount, message.BodyInStoreOnly);
                messageCount++;
            }
        }
        BrokerLog.Recovered(_logger, Name, messageCount, _destinations.Count, recordCount);

        void Apply(long sequence, StoreRecord record)
        {
            switch (record)
            {
                case DestinationCreatedRecord created:
                    destinations.Add(created.Destination);
                    break;
                case DestinationDeletedRecord deleted:
                    destinations.Remove(deleted.Destination);
                    foreach (var key in queues.Keys.Where(k => OwnedBy(queues[k].Key, deleted.Destination)).ToList())
                    {
                        Drop(key);
                    }
                    break;
                case DurableSubscriptionCreatedRecord durable:
                    destinations.Add(DestinationName.Topic(durable.Subscription.Topic!));
                    Queue(durable.Subscription);
                    break;
                case DurableSubscriptionRemovedRecord removed:
                    Drop(removed.Subscription.Queue);
                    break;
                case MessageAddedRecord added:
                    var message = added.Message;
                    var inStoreOnly = false;
                    // Keep bodies only while they fit the memory limit; the rest are read back when dispatched.
                    if (bytesInMemory + message.Body.Length > Options.MemoryLimit)
                    {
                        message = message with { Body = ReadOnlyMemory<byte>.Empty };
                        inStoreOnly = true;
                    }
                    bytesInMemory += message.Body.Length;
                    Queue(added.Queue).Messages[sequence] = new RecoveredMessage(message, 0, inStoreOnly);
                    if (added.ProducerId is not null)
                    {
                        Duplicates.Observe(added.ProducerId, added.ProducerSequence, sequence, _context.NowMs);
                    }
                    break;
                case MessageRemovedRecord removed when queues.TryGetValue(removed.Queue.Queue, out var queue):
                    if (queue.Messages.Remove(removed.MessageSequence, out var gone))
                    {
                        bytesInMemory -= gone.Message.Body.Length;
                    }
                    break;
                case MessageDeliveredRecord delivered when queues.TryGetValue(delivered.Queue.Queue, out var queue):
                    if (queue.Messages.TryGetValue(delivered.MessageSequence, out var known))
                    {
                        queue.Messages[delivered.MessageSequence] = known with { DeliveryCount = delivered.DeliveryCount };
                    }
                    break;
                case TransactionRecord transaction:
                    for (var i = 0; i < transaction.Operations.Count; i++)
                    {
                        Apply(sequence + i, transaction.Operations[i]);
                    }
                    break;
            }
        }

        RecoveredQueue Queue(QueueKey key)
        {
            if (!queues.TryGetValue(key.Queue, out var queue))
            {
                queues[key.Queue] = queue = new RecoveredQueue(key);
                if (!key.IsDurableSubscription)
                {
                    destinations.Add(DestinationName.Queue(key.Queue));
                }
            }
            return queue;
        }

        void Drop(string key)
        {
            if (queues.Remove(key, out var queue))
            {
                bytesInMemory -= queue.Messages.Values.Sum(m => (long)m.Message.Body.Length);
            }
        }
    }

    private static bool OwnedBy(QueueKey key, DestinationName destination) =>
        destination.IsQueue ? !key.IsDurableSubscription && key.Queue == destination.Name : key.Topic == destination.Name;

    private sealed record RecoveredQueue(QueueKey Key)
    {
        public Dictionary<long, RecoveredMessage> Messages { get; } = [];
    }

    private sealed record RecoveredMessage(Message Message, int DeliveryCount, bool BodyInStoreOnly);
}
