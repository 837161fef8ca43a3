using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Selectors;
using Broker.Core.Storage;

namespace Broker.Core.Destinations;

/// <summary>
/// Messages waiting for consumers, dispatched by priority then arrival, round-robin over the consumers whose
/// prefetch window has room. A queue destination is one; each topic subscription owns one too, so acks,
/// redelivery and flow control work the same for both. Persistent messages are journaled here, under the
/// queue's lock, so a message's records reach the journal in the order its changes happened.
/// </summary>
/// <remarks>
/// One lock guards the queue and its consumers. Work that reaches another queue (dead-lettering) is collected
/// under the lock and done after it is released, so two queues never hold each other's locks.
/// </remarks>
internal sealed partial class MessageQueue
{
    private readonly SortedSet<QueuedMessage> _pending = new(QueuedMessage.DispatchOrder);
    private readonly List<Consumer> _consumers = [];
    private readonly BrokerContext _context;
    private readonly PendingLimit? _pendingLimit;
    private readonly MessageGroups _groups = new();
    private int _nextConsumer;

    // Set once a consumer or a message needs more than arrival order and round-robin (a selector, a priority, an
    // exclusive consumer, a message group); then every dispatch takes the selective path.
    private bool _selective;

    // True when nothing that waits could go out to the consumers as they are (see Dispatch).
    private bool _settled;

    private int _exclusiveConsumers;
    private long _nextSequence;

    public MessageQueue(QueueKey key, BrokerContext context, PendingLimit? pendingLimit = null)
    {
        Key = key;
        _context = context;
        _pendingLimit = pendingLimit;
        IsDeadLetterQueue = key.Queue.StartsWith(BrokerContext.DeadLetterPrefix, StringComparison.Ordinal);
    }

    public QueueKey Key { get; }

    public string Name => Key.Queue;

    public object SyncRoot { get; } = new();

    /// <summary>Dead-letter queues never dead-letter again: a poison message stays where an operator can see it.</summary>
    public bool IsDeadLetterQueue { get; }

    /// <summary>Only a queue or durable subscription journals its messages; a non-durable topic subscription never does.</summary>
    public bool IsDurable { get; init; } = true;

    /// <summary>A topic subscription's selector: only the messages it matches enter the subscription.</summary>
    public MessageSelector? Selector { get; init; }

    /// <summary>Called, outside the lock, when the last consumer leaves (a non-durable topic subscription ends).</summary>
    public Action<MessageQueue>? LastConsumerLeft { get; init; }

    public long Enqueued { get; private set; }

    public long Dequeued { get; private set; }

    /// <summary>Messages a topic subscription dropped because its subscriber fell behind.</summary>
    public long Discarded { get; private set; }

    public int PendingCount
    {
        get { lock (SyncRoot) { return _pending.Count; } }
    }

    public int ConsumerCount
    {
        get { lock (SyncRoot) { return _consumers.Count; } }
    }

    /// <summary>No consumer and no message: nothing waiting, paged out or in flight (in flight is always with a consumer).</summary>
    public bool IsIdle
    {
        get { lock (SyncRoot) { return _pending.Count == 0 && _consumers.Count == 0; } }
    }

    public int InFlightCount
    {
        get { lock (SyncRoot) { return _consumers.Sum(c => c.InFlightCount); } }
    }

    /// <summary>Adds a message, journaling it first when it is persistent; the task completes when it is durable.</summary>
    public Task Enqueue(Message message, string? producerId = null, long producerSequence = 0)
    {
        DeadLetters? dead = null;
        bool dropped;
        StoreTicket ticket;
        lock (SyncRoot)
        {
            ticket = message.Persistent && IsDurable
                ? _context.Append(new MessageAddedRecord(Key, message, producerId, producerSequence))
                : StoreTicket.None;
            var added = Add(message, ticket.Sequence, deliveryCount: 0);
            dropped = EnforcePendingLimit();
            Dispatch(ref dead, added: added);
        }
        AfterLock(dead, dropped);
        return ticket.Durable;
    }

    /// <summary>Adds a message whose record is already journaled (a committed transaction, recovery).</summary>
    public void EnqueueStored(Message message, long storeSequence, int deliveryCount = 0, bool bodyInStoreOnly = false)
    {
        DeadLetters? dead = null;
        bool dropped;
        lock (SyncRoot)
        {
            var added = Add(message, storeSequence, deliveryCount, bodyInStoreOnly);
            dropped = EnforcePendingLimit();
            Dispatch(ref dead, added: added);
        }
        AfterLock(dead, dropped);
    }

    public Consumer AddConsumer(IDeliverySink sink, SubscriptionOptions options)
    {
        var consumer = new Consumer(this, sink, options);
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            _consumers.Add(consumer);
            if (options.NeedsSelectiveDispatch)
            {
                _selective = true;
            }
            if (options.Exclusive)
            {
                _exclusiveConsumers++;
            }
            _settled = false;
            Dispatch(ref dead);
        }
        dead?.Send(_context);
        return consumer;
    }

    public void RemoveConsumer(Consumer consumer, bool returnInFlight)
    {
        DeadLetters? dead = null;
        bool lastLeft;
        lock (SyncRoot)
        {
            if (!_consumers.Remove(consumer))
            {
                return;
            }
            consumer.IsClosed = true;
            if (consumer.Options.Exclusive)
            {
                _exclusiveConsumers--;
            }
            _groups.Release(consumer);
            _settled = false;
            var unacked = consumer.UntrackAll();
            if (returnInFlight)
            {
                Return(unacked, ref dead);
            }
            else
            {
                Remove(unacked, RemovalReason.Discarded);
            }
            lastLeft = _consumers.Count == 0;
            Dispatch(ref dead);
        }
        AfterLock(dead, lastLeft);
    }

    /// <summary>Removes acknowledged messages; null when the tag is unknown, else a task for the removal's durability.</summary>
    public Task? Acknowledge(Consumer consumer, long tag, bool cumulative, bool journal = true)
    {
        DeadLetters? dead = null;
        Task durable;
        lock (SyncRoot)
        {
            if (consumer.Untrack(tag, cumulative) is not { } acked)
            {
                return null;
            }
            durable = Remove(acked, RemovalReason.Acknowledged, journal);
            // Only this consumer has more room than before: only it can take what waits.
            Dispatch(ref dead, only: consumer);
        }
        dead?.Send(_context);
        return durable;
    }

    public bool Reject(Consumer consumer, long tag, bool cumulative)
    {
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            if (consumer.Untrack(tag, cumulative) is not { } rejected)
            {
                return false;
            }
            Return(rejected, ref dead);
            _settled = false;
            Dispatch(ref dead);
        }
        dead?.Send(_context);
        return true;
    }

    /// <summary>Every message in the queue, waiting or in flight, in dispatch order; consumes nothing.</summary>
    public IReadOnlyList<QueuedMessage> Browse()
    {
        lock (SyncRoot)
        {
            var all = new List<QueuedMessage>(_pending.Count + 16);
            all.AddRange(_pending);
            foreach (var consumer in _consumers)
            {
                all.AddRange(consumer.InFlightMessages);
            }
            all.Sort(QueuedMessage.DispatchOrder);
            return all;
        }
    }

    /// <summary>Removes one waiting message by id; false when it is not waiting here (absent, or out with a consumer).</summary>
    public bool RemoveWaiting(string messageId, RemovalReason reason, out Message? removed)
    {
        lock (SyncRoot)
        {
            removed = null;
            var queued = _pending.FirstOrDefault(q => q.Load(_context.Store).MessageId == messageId);
            if (queued is null)
            {
                return false;
            }
            _pending.Remove(queued);
            removed = queued.Load(_context.Store);
            Remove([queued], reason);
            return true;
        }
    }

    /// <summary>
    /// Removes every waiting message, or the first <paramref name="max"/> in dispatch order (messages in flight stay
    /// with their consumers). A caller purging a deep queue takes it in batches, so the lock is let go between them.
    /// </summary>
    public int Purge(RemovalReason reason = RemovalReason.Purged, int max = int.MaxValue)
    {
        lock (SyncRoot)
        {
            if (max >= _pending.Count)
            {
                var purged = _pending.Count;
                Remove([.. _pending], reason);
                _pending.Clear();
                return purged;
            }
            var batch = _pending.Take(max).ToList();
            // Journaled first, as the whole purge above: a store that refuses leaves them waiting, not lost.
            Remove(batch, reason);
            foreach (var queued in batch)
            {
                _pending.Remove(queued);
            }
            return batch.Count;
        }
    }

    /// <summary>Moves expired waiting messages to the dead-letter queue, so depths do not count them.</summary>
    public void SweepExpired()
    {
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            var now = _context.NowMs;
            List<QueuedMessage>? expired = null;
            foreach (var queued in _pending)
            {
                if (queued.IsExpired(now))
                {
                    (expired ??= []).Add(queued);
                }
            }
            foreach (var queued in expired ?? [])
            {
                _pending.Remove(queued);
                Expire(queued, ref dead);
            }
        }
        dead?.Send(_context);
    }

    /// <summary>Ends every consumer (the destination is deleted or the broker stops).</summary>
    public void CloseConsumers(string reason)
    {
        List<Consumer> closed;
        lock (SyncRoot)
        {
            closed = [.. _consumers];
        }
        foreach (var consumer in closed)
        {
            RemoveConsumer(consumer, returnInFlight: true);
            consumer.Sink.Closed(consumer, reason);
        }
    }

    private QueuedMessage Add(Message message, long storeSequence, int deliveryCount, bool bodyInStoreOnly = false)
    {
        // Past the memory limit a journaled message leaves its body on disk until it is dispatched.
        var paged = storeSequence > 0 && (bodyInStoreOnly || _context.Memory.IsFull);
        var queued = new QueuedMessage(message, ++_nextSequence, storeSequence, paged) { DeliveryCount = deliveryCount };
        _pending.Add(queued);
        Enqueued++;
        _context.Memory.Add(queued.Size);
        if (queued.GroupId is not null)
        {
            _selective = true;
        }
        return queued;
    }

    private void AfterLock(DeadLetters? dead, bool lastConsumerLeft)
    {
        dead?.Send(_context);
        if (lastConsumerLeft)
        {
            LastConsumerLeft?.Invoke(this);
        }
    }

    /// <summary>
    /// Hands waiting messages to consumers with room. <paramref name="added"/> or <paramref name="only"/> narrow the
    /// work to what changed (a new message, one consumer's freed room) when the queue is settled: after every
    /// whole pass nothing that waits could have gone out, so only the change can let something out now.
    /// </summary>
    private void Dispatch(ref DeadLetters? dead, Consumer? only = null, QueuedMessage? added = null)
    {
        if (_consumers.Count == 0 || _pending.Count == 0 || _context.Quiesced)
        {
            _settled = _consumers.Count == 0 || _pending.Count == 0;
            return;
        }
        if (_selective)
        {
            DispatchSelectively(ref dead, only, added);
        }
        else
        {
            DispatchInOrder(ref dead);
        }
    }

    /// <summary>The common case: the first message in dispatch order to the next consumer with room, round-robin.</summary>
    private void DispatchInOrder(ref DeadLetters? dead)
    {
        var now = _context.NowMs;
        var full = 0;
        while (_pending.Count > 0 && full < _consumers.Count)
        {
            var index = _nextConsumer % _consumers.Count;
            _nextConsumer = (index + 1) % _consumers.Count;
            var consumer = _consumers[index];
            if (!consumer.HasCapacity)
            {
                full++;
                continue;
            }
            full = 0;
            var queued = _pending.Min!;
            _pending.Remove(queued);
            if (queued.IsExpired(now))
            {
                Expire(queued, ref dead);
                continue;
            }
            Deliver(queued, consumer, firstOfGroup: false);
        }
        _settled = true;
    }

    private void Deliver(QueuedMessage queued, Consumer consumer, bool firstOfGroup)
    {
        var redelivered = queued.DeliveryCount > 0;
        queued.DeliveryCount++;
        if (queued.IsStored)
        {
            // Not awaited: it only makes a restart or a failover mark this delivery as a redelivery.
            _context.Append(new MessageDeliveredRecord(Key, queued.StoreSequence, queued.DeliveryCount));
        }
        var message = queued.Load(_context.Store);
        if (firstOfGroup)
        {
            message = message with { Headers = [.. message.Headers, new(MessageGroups.FirstForConsumerHeader, "true")] };
        }
        var tag = consumer.Track(queued);
        consumer.Sink.Deliver(consumer, new Delivery(message, tag, redelivered, queued.DeliveryCount));
    }

    /// <summary>Puts unacknowledged messages back in their place, or dead-letters those delivered too often.</summary>
    private void Return(List<QueuedMessage> messages, ref DeadLetters? dead)
    {
        foreach (var queued in messages)
        {
            if (!IsDeadLetterQueue && queued.DeliveryCount > _context.Options.MaxRedeliveries)
            {
                Remove([queued], RemovalReason.DeadLettered);
                (dead ??= new(this)).Add(queued, $"delivered {queued.DeliveryCount} times, more than MaxRedeliveries ({_context.Options.MaxRedeliveries})");
            }
            else
            {
                _pending.Add(queued);
            }
        }
    }

    private void Expire(QueuedMessage queued, ref DeadLetters? dead)
    {
        Remove([queued], RemovalReason.Expired);
        if (!IsDeadLetterQueue)
        {
            (dead ??= new(this)).Add(queued, "expired");
        }
    }

    /// <summary>Forgets messages and, unless their removal is journaled already, journals it.</summary>
    private Task Remove(List<QueuedMessage> messages, RemovalReason reason, bool journal = true)
    {
        var durable = Task.CompletedTask;
        foreach (var queued in messages)
        {
            Dequeued++;
            _context.Memory.Release(queued.Size);
            if (journal && queued.IsStored)
            {
                durable = _context.Append(new MessageRemovedRecord(Key, queued.StoreSequence, reason)).Durable;
            }
        }
        // The journal completes records in order: the last one durable means all of them are.
        return durable;
    }

    /// <returns>True when the subscription was ended (its consumers are gone).</returns>
    private bool EnforcePendingLimit()
    {
        if (_pendingLimit is not { } limit || _pending.Count <= limit.MaxPending)
        {
            return false;
        }
        if (limit.Policy == SlowConsumerPolicy.DropOldest)
        {
            // Dispatch order puts higher priorities first; the oldest is the lowest sequence.
            var oldest = _pending.Min!.Priority == _pending.Max!.Priority ? _pending.Min : _pending.MinBy(q => q.Sequence)!;
            _pending.Remove(oldest);
            Remove([oldest], RemovalReason.Discarded);
            Discarded++;
            return false;
        }
        // Disconnect: the subscriber is told why, once, and the subscription ends with everything it held.
        foreach (var consumer in _consumers)
        {
            consumer.IsClosed = true;
            Remove(consumer.UntrackAll(), RemovalReason.Discarded);
            consumer.Sink.Closed(consumer, $"slow consumer: more than {limit.MaxPending} messages pending on a topic subscription");
        }
        _consumers.Clear();
        _exclusiveConsumers = 0;
        Remove([.. _pending], RemovalReason.Discarded);
        _pending.Clear();
        return true;
    }

    /// <summary>Messages to move to <c>DLQ.&lt;queue&gt;</c> once the source queue's lock is released.</summary>
    private sealed class DeadLetters(MessageQueue source)
    {
        private readonly List<(QueuedMessage Message, string Reason)> _messages = [];

        public void Add(QueuedMessage message, string reason) => _messages.Add((message, reason));

        public void Send(BrokerContext context)
        {
            foreach (var (queued, reason) in _messages)
            {
                var message = queued.Load(context.Store);
                context.DeadLetter(source.Name, message, reason);
            }
        }
    }
}

/// <summary>What a topic subscriber may fall behind by, and what happens past it.</summary>
internal readonly record struct PendingLimit(int MaxPending, SlowConsumerPolicy Policy);
