using System.Collections.Concurrent;
using Broker.Core.Messages;

namespace Broker.Core.Consumers;

/// <summary>
/// One subscriber on several destinations: a composite subscription, or a queue wildcard, which has a consumer on
/// every matching queue (those that exist and those created later). Each member is an ordinary
/// <see cref="Consumer"/> with the subscriber's options (its prefetch window is per member). Deliveries reach the
/// subscriber's sink with a tag of the set's own, the member's number in the high bits and the member's tag in the
/// low ones, so the subscriber acknowledges by one number and <see cref="Resolve"/> finds the member again.
/// </summary>
public sealed class ConsumerSet : IDeliverySink
{
    private const int TagBits = 40;
    private const long TagMask = (1L << TagBits) - 1;

    private readonly MessageBroker _broker;
    private readonly IDeliverySink _sink;
    private readonly Lock _lock = new();
    private readonly Dictionary<DestinationName, Consumer> _members = [];
    private readonly HashSet<Consumer> _reachedByPattern = [];
    private readonly ConcurrentDictionary<Consumer, int> _numbers = new();
    private readonly ConcurrentDictionary<int, Consumer> _byNumber = new();
    private readonly List<DestinationPattern> _patterns = [];

    /// <summary>Client mode only: the set's tags in delivery order, so an ACK covers earlier deliveries of every member.</summary>
    private readonly LinkedList<long>? _order;
    private int _nextNumber;
    private bool _closed;
    private bool _endReported;

    internal ConsumerSet(MessageBroker broker, IDeliverySink sink, SubscriptionOptions options)
    {
        _broker = broker;
        _sink = sink;
        Options = options;
        _order = options.AckMode == AckMode.Client ? new LinkedList<long>() : null;
    }

    public SubscriptionOptions Options { get; }

    /// <summary>The destinations the set consumes from now.</summary>
    public IReadOnlyList<DestinationName> Destinations
    {
        get { lock (_lock) { return [.. _members.Keys]; } }
    }

    /// <summary>The messages delivered through every member and not yet acknowledged.</summary>
    public int InFlightCount => Members().Sum(m => m.InFlightCount);

    /// <summary>The messages waiting in every member's queue.</summary>
    public int PendingCount => Members().Sum(m => m.PendingCount);

    // Counted outside the set's lock: a member's figures take its queue's lock, which deliveries hold when they reach the set.
    private Consumer[] Members()
    {
        lock (_lock)
        {
            return [.. _members.Values];
        }
    }

    /// <summary>
    /// The consumers and their own tags that acknowledging (or rejecting) the set's <paramref name="tag"/> reaches,
    /// each to be acknowledged as its consumer's ack mode says: one entry, or in client mode, for every member, the
    /// latest of its deliveries up to this one (a cumulative ACK covers all the subscription received before).
    /// Empty when the tag is not the set's. In client mode the covered deliveries are forgotten here.
    /// </summary>
    public IReadOnlyList<(Consumer Consumer, long Tag)> Resolve(long tag)
    {
        if (!_byNumber.TryGetValue((int)(tag >> TagBits), out var consumer))
        {
            return [];
        }
        if (_order is null)
        {
            return [(consumer, tag & TagMask)];
        }
        var latest = new Dictionary<int, long>();
        lock (_order)
        {
            var node = _order.First;
            while (node is not null && node.Value != tag)
            {
                node = node.Next;
            }
            if (node is null)
            {
                return [];
            }
            while (_order.First is { } first)
            {
                latest[(int)(first.Value >> TagBits)] = first.Value & TagMask;
                _order.RemoveFirst();
                if (first == node)
                {
                    break;
                }
            }
        }
        var points = new List<(Consumer, long)>(latest.Count);
        foreach (var (number, memberTag) in latest)
        {
            if (_byNumber.TryGetValue(number, out var member))
            {
                points.Add((member, memberTag));
            }
        }
        return points;
    }

    /// <summary>Whether the set's <paramref name="tag"/> is still out with its member.</summary>
    public bool IsInFlight(long tag) =>
        _byNumber.TryGetValue((int)(tag >> TagBits), out var consumer) && consumer.IsInFlight(tag & TagMask);

    /// <summary>Ends every member (unacknowledged messages go back to their queues) and stops following new queues.</summary>
    public void Close()
    {
        List<Consumer> members;
        lock (_lock)
        {
            _closed = true;
            members = [.. _members.Values];
            _members.Clear();
        }
        _broker.StopWatching(this);
        foreach (var member in members)
        {
            member.Close();
            Forget(member);
        }
    }

    internal void Watch(DestinationPattern pattern)
    {
        lock (_lock)
        {
            _patterns.Add(pattern);
        }
    }

    internal bool Watches(DestinationName name)
    {
        lock (_lock)
        {
            return !_closed && _patterns.Exists(p => p.Matches(name));
        }
    }

    /// <summary>Adds a member on <paramref name="destination"/> unless the set has one there already.</summary>
    internal void Add(DestinationName destination, bool reachedByPattern)
    {
        // Under the set's lock, so a queue found both by the creation hook and by the scan of existing queues gets one
        // member. Never taken from a delivery (those only read the concurrent maps), so holding it while the queue
        // dispatches to the new member cannot deadlock.
        lock (_lock)
        {
            if (_closed || _members.ContainsKey(destination))
            {
                return;
            }
            Consumer consumer;
            try
            {
                consumer = _broker.SubscribeMember(destination, this, Options, existingOnly: reachedByPattern);
            }
            catch (BrokerException) when (reachedByPattern)
            {
                // The queue went away between being seen and being joined: nothing to consume there.
                return;
            }
            _members[destination] = consumer;
            if (reachedByPattern)
            {
                _reachedByPattern.Add(consumer);
            }
        }
    }

    void IDeliverySink.Deliver(Consumer consumer, Delivery delivery)
    {
        var number = _numbers.GetOrAdd(consumer, c =>
        {
            var n = Interlocked.Increment(ref _nextNumber);
            _byNumber[n] = c;
            return n;
        });
        var tag = ((long)number << TagBits) | delivery.Tag;
        if (_order is null)
        {
            _sink.Deliver(consumer, delivery with { Tag = tag });
            return;
        }
        // Recorded and handed on under one lock: members deliver from their own queues' threads, and the order kept
        // must be the order the subscriber receives, or a cumulative ACK would cover a delivery it has not seen yet.
        lock (_order)
        {
            _order.AddLast(tag);
            _sink.Deliver(consumer, delivery with { Tag = tag });
        }
    }

    void IDeliverySink.Closed(Consumer consumer, string reason)
    {
        bool quietly;
        lock (_lock)
        {
            // A queue a wildcard reached was deleted: the subscription goes on with the others (and takes the queue
            // again if it is created anew). Any other end (a composite's destination deleted, a slow topic
            // subscriber, the broker stopping) ends the subscriber's subscription, as it would a plain one.
            quietly = _reachedByPattern.Remove(consumer) && !_closed;
            foreach (var (name, member) in _members)
            {
                if (member == consumer)
                {
                    _members.Remove(name);
                    break;
                }
            }
        }
        Forget(consumer);
        // The subscriber hears of its end once, however many members the broker ended (it stops: all of them).
        if (!quietly && !Interlocked.Exchange(ref _endReported, true))
        {
            _sink.Closed(consumer, reason);
        }
    }

    private void Forget(Consumer consumer)
    {
        if (_numbers.TryRemove(consumer, out var number))
        {
            _byNumber.TryRemove(number, out _);
        }
    }
}
