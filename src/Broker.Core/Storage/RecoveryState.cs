using Broker.Core.Messages;
using Broker.Core.Transactions;

namespace Broker.Core.Storage;

/// <summary>
/// The broker state that journal records describe, folded record by record: destinations, durable
/// subscriptions, and each queue's live messages with their delivery counts and producer marks. Recovery
/// folds the whole journal then hands it to a broker; a slave keeps folding what its master ships, so on
/// promotion it only has to hand over what it already holds.
/// </summary>
public sealed class RecoveryState(long memoryLimit)
{
    private readonly Dictionary<string, RecoveredQueue> _queues = new(StringComparer.Ordinal);
    private readonly HashSet<DestinationName> _destinations = [];
    private readonly Dictionary<string, ProducerWindow> _producers = new(StringComparer.Ordinal);
    private readonly BoundedOutcomeTable<TransactionCommittedRecord> _committed = new(TransactionOutcomes.Capacity);
    private readonly Dictionary<string, RecoveredJob> _jobs = new(StringComparer.Ordinal);
    private long _bytesInMemory;

    public long RecordCount { get; private set; }

    public long LastSequence { get; private set; }

    public IReadOnlyCollection<DestinationName> Destinations => _destinations;

    public IEnumerable<RecoveredQueue> Queues => _queues.Values;

    /// <summary>Each producer's accepted numbers, for the duplicate filter.</summary>
    public IReadOnlyDictionary<string, ProducerWindow> Producers => _producers;

    /// <summary>The latest committed transactions (at most <see cref="TransactionOutcomes.Capacity"/>), oldest first.</summary>
    public IEnumerable<TransactionCommittedRecord> CommittedTransactions => _committed.Values;

    /// <summary>Scheduled jobs still to fire, each with its latest position.</summary>
    public IEnumerable<RecoveredJob> Jobs => _jobs.Values;

    public int MessageCount => _queues.Values.Sum(q => q.Messages.Count);

    public void Apply(long sequence, StoreRecord record)
    {
        RecordCount++;
        LastSequence = Math.Max(LastSequence, sequence + record.SequenceCount - 1);
        Fold(sequence, record);
    }

    private void Fold(long sequence, StoreRecord record)
    {
        switch (record)
        {
            case DestinationCreatedRecord created:
                _destinations.Add(created.Destination);
                break;
            case DestinationDeletedRecord deleted:
                _destinations.Remove(deleted.Destination);
                foreach (var key in _queues.Keys.Where(k => OwnedBy(_queues[k].Key, deleted.Destination)).ToList())
                {
                    Drop(key);
                }
                break;
            case DurableSubscriptionCreatedRecord durable:
                _destinations.Add(DestinationName.Topic(durable.Subscription.Topic!));
                Queue(durable.Subscription).Selector = durable.Selector;
                break;
            case DurableSubscriptionRemovedRecord removed:
                Drop(removed.Subscription.Queue);
                break;
            case MessageAddedRecord added:
                var message = added.Message;
                var inStoreOnly = false;
                // Keep bodies only while they fit the memory limit; the rest are read back when dispatched.
                if (_bytesInMemory + message.Body.Length > memoryLimit)
                {
                    message = message with { Body = ReadOnlyMemory<byte>.Empty };
                    inStoreOnly = true;
                }
                _bytesInMemory += message.Body.Length;
                Queue(added.Queue).Messages[sequence] = new RecoveredMessage(message, 0, inStoreOnly);
                if (added.ProducerId is not null)
                {
                    Producer(added.ProducerId, added.ProducerSequence).Add(added.ProducerSequence, sequence);
                }
                break;
            case MessageRemovedRecord removed when _queues.TryGetValue(removed.Queue.Queue, out var queue):
                if (queue.Messages.Remove(removed.MessageSequence, out var gone))
                {
                    _bytesInMemory -= gone.Message.Body.Length;
                }
                break;
            case MessageDeliveredRecord delivered when _queues.TryGetValue(delivered.Queue.Queue, out var queue):
                if (queue.Messages.TryGetValue(delivered.MessageSequence, out var known))
                {
                    queue.Messages[delivered.MessageSequence] = known with { DeliveryCount = delivered.DeliveryCount };
                }
                break;
            case ProducerMarkRecord mark:
                Producer(mark.ProducerId, mark.ProducerSequence).SeeThrough(mark.ProducerSequence, sequence);
                break;
            case TransactionCommittedRecord committed:
                // Bounded like the broker's own table: the oldest are forgotten first.
                _committed.Set(committed.User, committed.TransactionId, committed);
                break;
            case JobScheduledRecord scheduled:
                _jobs[scheduled.Job.JobId] = new RecoveredJob(scheduled.Job, scheduled.Position);
                break;
            case JobAdvancedRecord advanced when _jobs.TryGetValue(advanced.JobId, out var job):
                _jobs[advanced.JobId] = job with { Position = advanced.Position };
                break;
            case JobRemovedRecord removed:
                _jobs.Remove(removed.JobId);
                break;
            case TransactionRecord transaction:
                for (var i = 0; i < transaction.Operations.Count; i++)
                {
                    Fold(sequence + i, transaction.Operations[i]);
                }
                break;
        }
    }

    /// <summary>
    /// A producer's window as the journal shows it. Numbers below the first one the journal holds count as
    /// seen: a compacted journal keeps only the latest mark of a producer whose messages were consumed.
    /// </summary>
    private ProducerWindow Producer(string producerId, long firstSequence)
    {
        if (!_producers.TryGetValue(producerId, out var window))
        {
            _producers[producerId] = window = new ProducerWindow(seenThrough: firstSequence - 1);
        }
        return window;
    }

    private RecoveredQueue Queue(QueueKey key)
    {
        if (!_queues.TryGetValue(key.Queue, out var queue))
        {
            _queues[key.Queue] = queue = new RecoveredQueue(key);
            if (!key.IsDurableSubscription)
            {
                _destinations.Add(DestinationName.Queue(key.Queue));
            }
        }
        return queue;
    }

    private void Drop(string key)
    {
        if (_queues.Remove(key, out var queue))
        {
            _bytesInMemory -= queue.Messages.Values.Sum(m => (long)m.Message.Body.Length);
        }
    }

    private static bool OwnedBy(QueueKey key, DestinationName destination) =>
        destination.IsQueue ? !key.IsDurableSubscription && key.Queue == destination.Name : key.Topic == destination.Name;

    public sealed record RecoveredQueue(QueueKey Key)
    {
        /// <summary>A durable subscription's selector, as its subscriber gave it.</summary>
        public string? Selector { get; set; }

        public Dictionary<long, RecoveredMessage> Messages { get; } = [];
    }

    public sealed record RecoveredJob(Scheduling.JobDefinition Job, Scheduling.JobPosition Position);

    public sealed record RecoveredMessage(Message Message, int DeliveryCount, bool BodyInStoreOnly);
}
