using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Destinations;

/// <summary>
/// Messages waiting for consumers, dispatched by priority then arrival, round-robin over the consumers whose
/// prefetch window has room. A queue destination is one; each topic subscription owns one too, so acks,
/// redelivery and flow control work the same for both.
/// </summary>
/// <remarks>
/// One lock guards the queue and its consumers. Work that reaches another queue (dead-lettering) is collected
/// under the lock and done after it is released, so two queues never hold each other's locks.
/// </remarks>
internal sealed class MessageQueue
{
    private readonly SortedSet<QueuedMessage> _pending = new(QueuedMessage.DispatchOrder);
    private readonly List<Consumer> _consumers = [];
    private readonly BrokerContext _context;
    private readonly PendingLimit? _pendingLimit;
    private int _nextConsumer;
    private long _nextSequence;

    public MessageQueue(string name, BrokerContext context, PendingLimit? pendingLimit = null)
    {
        Name = name;
        _context = context;
        _pendingLimit = pendingLimit;
        IsDeadLetterQueue = name.StartsWith(BrokerContext.DeadLetterPrefix, StringComparison.Ordinal);
    }

    public string Name { get; }

    public object SyncRoot { get; } = new();

    /// <summary>Dead-letter queues never dead-letter again: a poison message stays where an operator can see it.</summary>
    public bool IsDeadLetterQueue { get; }

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

    public int InFlightCount
    {
        get { lock (SyncRoot) { return _consumers.Sum(c => c.InFlightCount); } }
    }

    public void Enqueue(Message message)
    {
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            var queued = new QueuedMessage(message, ++_nextSequence);
            _pending.Add(queued);
            Enqueued++;
            _context.Memory.Add(queued.Size);
            EnforcePendingLimit();
            Dispatch(ref dead);
        }
        dead?.Send(_context);
    }

    public Consumer AddConsumer(IDeliverySink sink, SubscriptionOptions options)
    {
        var consumer = new Consumer(this, sink, options);
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            _consumers.Add(consumer);
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
            var unacked = consumer.UntrackAll();
            if (returnInFlight)
            {
                Return(unacked, ref dead);
            }
            else
            {
                Remove(unacked);
            }
            lastLeft = _consumers.Count == 0;
            Dispatch(ref dead);
        }
        dead?.Send(_context);
        if (lastLeft)
        {
            LastConsumerLeft?.Invoke(this);
        }
    }

    public bool Acknowledge(Consumer consumer, long tag, bool cumulative)
    {
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            if (consumer.Untrack(tag, cumulative) is not { } acked)
            {
                return false;
            }
            Remove(acked);
            Dispatch(ref dead);
        }
        dead?.Send(_context);
        return true;
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

    /// <summary>Removes every waiting message (messages in flight stay with their consumers).</summary>
    public int Purge()
    {
        lock (SyncRoot)
        {
            var purged = _pending.Count;
            Remove(_pending.ToList());
            _pending.Clear();
            return purged;
        }
    }

    /// <summary>Moves expired waiting messages to the dead-letter queue, so depths do not count them.</summary>
    public void SweepExpired()
    {
        DeadLetters? dead = null;
        lock (SyncRoot)
        {
            var now = _context.Clock.GetUtcNow().ToUnixTimeMilliseconds();
            List<QueuedMessage>? expired = null;
            foreach (var queued in _pending)
            {
                if (queued.Message.IsExpired(now))
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

    private void Dispatch(ref DeadLetters? dead)
    {
        if (_consumers.Count == 0 || _pending.Count == 0)
        {
            return;
        }
        var now = _context.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var full = 0;
        while (_pending.Count > 0 && full < _consumers.Count)
        {
            var consumer = _consumers[_nextConsumer++ % _consumers.Count];
            if (!consumer.HasCapacity)
            {
                full++;
                continue;
            }
            full = 0;
            var queued = _pending.Min!;
            _pending.Remove(queued);
            if (queued.Message.IsExpired(now))
            {
                Expire(queued, ref dead);
                continue;
            }
            var redelivered = queued.DeliveryCount > 0;
            queued.DeliveryCount++;
            var tag = consumer.Track(queued);
            consumer.Sink.Deliver(consumer, new Delivery(queued.Message, tag, redelivered, queued.DeliveryCount));
        }
    }

    /// <summary>Puts unacknowledged messages back in their place, or dead-letters those delivered too often.</summary>
    private void Return(List<QueuedMessage> messages, ref DeadLetters? dead)
    {
        foreach (var queued in messages)
        {
            if (!IsDeadLetterQueue && queued.DeliveryCount > _context.Options.MaxRedeliveries)
            {
                Remove([queued]);
                (dead ??= new(this)).Add(queued.Message,
                    $"delivered {queued.DeliveryCount} times, more than MaxRedeliveries ({_context.Options.MaxRedeliveries})");
            }
            else
            {
                _pending.Add(queued);
            }
        }
    }

    private void Expire(QueuedMessage queued, ref DeadLetters? dead)
    {
        Remove([queued]);
        if (!IsDeadLetterQueue)
        {
            (dead ??= new(this)).Add(queued.Message, "expired");
        }
    }

    private void Remove(List<QueuedMessage> messages)
    {
        foreach (var queued in messages)
        {
            Dequeued++;
            _context.Memory.Release(queued.Size);
        }
    }

    private void EnforcePendingLimit()
    {
        if (_pendingLimit is not { } limit || _pending.Count <= limit.MaxPending)
        {
            return;
        }
        if (limit.Policy == SlowConsumerPolicy.DropOldest)
        {
            var oldest = _pending.Min!;
            _pending.Remove(oldest);
            Remove([oldest]);
            Discarded++;
            return;
        }
        // Disconnect: the subscriber is told why and its subscription ends; the queue is dropped with it.
        foreach (var consumer in _consumers)
        {
            consumer.IsClosed = true;
            consumer.Sink.Closed(consumer,
                $"slow consumer: more than {limit.MaxPending} messages pending on a topic subscription");
        }
        Remove(_pending.ToList());
        _pending.Clear();
    }

    /// <summary>Messages to move to <c>DLQ.&lt;queue&gt;</c> once the source queue's lock is released.</summary>
    private sealed class DeadLetters(MessageQueue source)
    {
        private readonly List<(Message Message, string Reason)> _messages = [];

        public void Add(Message message, string reason) => _messages.Add((message, reason));

        public void Send(BrokerContext context)
        {
            foreach (var (message, reason) in _messages)
            {
                context.DeadLetter(source.Name, message, reason);
            }
        }
    }
}

/// <summary>What a topic subscriber may fall behind by, and what happens past it.</summary>
internal readonly record struct PendingLimit(int MaxPending, SlowConsumerPolicy Policy);
