using Broker.Core.Destinations;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Consumers;

/// <summary>
/// One subscriber on one queue (a topic subscription is a consumer on the subscription's own queue). Its
/// in-flight messages are kept in delivery order so a cumulative ACK walks only what it acknowledges.
/// All state is guarded by the owning queue's lock.
/// </summary>
public sealed class Consumer
{
    private readonly LinkedList<InFlight> _inFlight = new();
    private readonly Dictionary<long, LinkedListNode<InFlight>> _byTag = [];
    private long _nextTag;

    internal Consumer(MessageQueue queue, IDeliverySink sink, SubscriptionOptions options)
    {
        Queue = queue;
        Sink = sink;
        Options = options;
    }

    public SubscriptionOptions Options { get; }

    public AckMode AckMode => Options.AckMode;

    public bool IsClosed { get; internal set; }

    /// <summary>The messages delivered and not yet acknowledged.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>The messages waiting in the consumer's queue (shared with its other consumers, on a queue).</summary>
    public int PendingCount => Queue.PendingCount;

    internal MessageQueue Queue { get; }

    internal IDeliverySink Sink { get; }

    internal bool HasCapacity => !IsClosed && _inFlight.Count < Options.Prefetch;

    /// <summary>Messages chosen for this consumer in the dispatch pass under way, not yet delivered.</summary>
    internal int Reserved { get; set; }

    /// <summary>
    /// In selective dispatch, where this consumer last stopped looking: every message up to there that still waits is
    /// one it cannot take (its selector, another consumer's group). Null: look from the head.
    /// </summary>
    internal QueuedMessage? ScannedThrough { get; set; }

    internal bool HasRoomInPass => !IsClosed && _inFlight.Count + Reserved < Options.Prefetch;

    /// <summary>Whether this consumer may receive the message (its selector); <paramref name="loaded"/> caches the message.</summary>
    internal bool Accepts(QueuedMessage queued, ref Message? loaded, IMessageStore? store) =>
        Options.Selector is not { } selector || selector.Matches(loaded ??= queued.Load(store));

    /// <summary>Acknowledges <paramref name="tag"/> (and, in client mode, every earlier delivery).</summary>
    /// <returns>False when the tag is unknown or already acknowledged.</returns>
    public bool Ack(long tag) => Acknowledge(tag) is not null;

    /// <summary>As <see cref="Ack"/>, with a task that completes when the removal is durable; null for an unknown tag.</summary>
    public Task? Acknowledge(long tag) => Queue.Acknowledge(this, tag, AckMode == AckMode.Client);

    /// <summary>Returns the message (cumulatively in client mode) to the queue for redelivery.</summary>
    public bool Nack(long tag) => Queue.Reject(this, tag, AckMode == AckMode.Client);

    /// <summary>Returns exactly one message to the queue, whatever the ack mode (a rolled-back transaction).</summary>
    public bool NackOne(long tag) => Queue.Reject(this, tag, cumulative: false);

    /// <summary>The tags an ACK of <paramref name="tag"/> would acknowledge now, oldest first; empty if unknown.</summary>
    public IReadOnlyList<long> TagsAcknowledgedBy(long tag)
    {
        lock (Queue.SyncRoot)
        {
            if (!_byTag.ContainsKey(tag))
            {
                return [];
            }
            if (AckMode != AckMode.Client)
            {
                return [tag];
            }
            var tags = new List<long>();
            foreach (var inFlight in _inFlight)
            {
                tags.Add(inFlight.Tag);
                if (inFlight.Tag == tag)
                {
                    break;
                }
            }
            return tags;
        }
    }

    /// <summary>The journal sequence of an in-flight message (0 when not journaled), or null when the tag is unknown.</summary>
    internal long? StoreSequenceOf(long tag)
    {
        lock (Queue.SyncRoot)
        {
            return _byTag.TryGetValue(tag, out var node) ? node.Value.Queued.StoreSequence : null;
        }
    }

    public bool IsInFlight(long tag)
    {
        lock (Queue.SyncRoot)
        {
            return _byTag.ContainsKey(tag);
        }
    }

    /// <summary>Ends the subscription; unacknowledged messages go back to the queue, marked redelivered.</summary>
    public void Close() => Queue.RemoveConsumer(this, returnInFlight: true);

    internal long Track(QueuedMessage message)
    {
        var tag = ++_nextTag;
        _byTag[tag] = _inFlight.AddLast(new InFlight(tag, message));
        return tag;
    }

    /// <summary>Takes the acknowledged messages out of flight: one, or every one up to the tag.</summary>
    internal List<QueuedMessage>? Untrack(long tag, bool cumulative)
    {
        if (!_byTag.TryGetValue(tag, out var target))
        {
            return null;
        }
        var taken = new List<QueuedMessage>(cumulative ? 8 : 1);
        if (!cumulative)
        {
            Remove(target);
            taken.Add(target.Value.Queued);
            return taken;
        }
        while (_inFlight.First is { } node)
        {
            Remove(node);
            taken.Add(node.Value.Queued);
            if (node == target)
            {
                break;
            }
        }
        return taken;
    }

    internal List<QueuedMessage> UntrackAll()
    {
        var all = _inFlight.Select(f => f.Queued).ToList();
        _inFlight.Clear();
        _byTag.Clear();
        return all;
    }

    internal IEnumerable<QueuedMessage> InFlightMessages => _inFlight.Select(f => f.Queued);

    private void Remove(LinkedListNode<InFlight> node)
    {
        _inFlight.Remove(node);
        _byTag.Remove(node.Value.Tag);
    }

    private readonly record struct InFlight(long Tag, QueuedMessage Queued);
}
