using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Stomp.Sessions;

/// <summary>A client's SUBSCRIBE on one session: the consumer in the core and the ids the client acks by.</summary>
internal sealed class Subscription(StompSession session, string id, DestinationName destination, int number) : IDeliverySink
{
    // STOMP 1.0 and 1.1 clients acknowledge by message-id; 1.2 clients by the ack id we hand out.
    private readonly Dictionary<string, long> _tagsByMessageId = [];

    public string Id { get; } = id;

    public DestinationName Destination { get; } = destination;

    /// <summary>Every destination the SUBSCRIBE named: one, or a composite's; a wildcard as its pattern.</summary>
    public IReadOnlyList<DestinationName> Destinations { get; set; } = [destination];

    /// <summary>The consumer of a subscription to one destination (a topic wildcard included); null with <see cref="Set"/>.</summary>
    public Consumer? Consumer { get; set; }

    /// <summary>The consumers of a composite or queue-wildcard subscription; null for one destination.</summary>
    public ConsumerSet? Set { get; set; }

    public SubscriptionOptions Options => Consumer?.Options ?? Set!.Options;

    /// <summary>The SUBSCRIBE's selector: a topic subscription keeps it on its queue, not on its consumer's options.</summary>
    public string? Selector { get; set; }

    public AckMode AckMode => Options.AckMode;

    /// <summary>The consumers and their tags an ACK or NACK of <paramref name="tag"/> reaches; empty when it is unknown.</summary>
    public IReadOnlyList<(Consumer Consumer, long Tag)> Resolve(long tag) => Set?.Resolve(tag) ?? [(Consumer!, tag)];

    /// <summary>Acknowledges a delivery written in auto mode.</summary>
    public void AutoAck(long tag)
    {
        if (Consumer is { } consumer)
        {
            consumer.Ack(tag);
            return;
        }
        foreach (var (member, memberTag) in Set!.Resolve(tag))
        {
            member.Ack(memberTag);
        }
    }

    public bool IsInFlight(long tag) => Consumer?.IsInFlight(tag) ?? Set!.IsInFlight(tag);

    /// <summary>Ends the subscription; unacknowledged messages go back to their queues.</summary>
    public void Close()
    {
        Consumer?.Close();
        Set?.Close();
    }

    /// <summary>The 1.2 <c>ack</c> header value: unique per session, so it alone finds the delivery.</summary>
    public string AckId(long tag) => $"{Number}:{tag}";

    public static bool TryParseAckId(string ackId, out int number, out long tag)
    {
        var colon = ackId.IndexOf(':');
        tag = 0;
        number = 0;
        return colon > 0
            && int.TryParse(ackId.AsSpan(0, colon), out number)
            && long.TryParse(ackId.AsSpan(colon + 1), out tag);
    }

    public int Number { get; } = number;

    public void RememberMessageId(string messageId, long tag)
    {
        lock (_tagsByMessageId)
        {
            _tagsByMessageId[messageId] = tag;
            // Cumulative acks leave earlier ids behind: forget those no longer in flight now and then.
            if (_tagsByMessageId.Count > 2 * Options.Prefetch + 16)
            {
                foreach (var (key, value) in _tagsByMessageId.ToList())
                {
                    if (!IsInFlight(value))
                    {
                        _tagsByMessageId.Remove(key);
                    }
                }
            }
        }
    }

    public bool TryTakeTag(string messageId, out long tag)
    {
        lock (_tagsByMessageId)
        {
            return _tagsByMessageId.Remove(messageId, out tag);
        }
    }

    // Deliveries made while SUBSCRIBE is being answered wait here, so its RECEIPT goes out first.
    private readonly Lock _holdLock = new();
    private List<Delivery>? _held = [];

    public void Deliver(Consumer consumer, Delivery delivery)
    {
        lock (_holdLock)
        {
            if (_held is not null)
            {
                _held.Add(delivery);
                return;
            }
            session.EnqueueDelivery(this, delivery);
        }
    }

    /// <summary>Lets held deliveries out, in order; later ones go straight to the session.</summary>
    public void Release()
    {
        lock (_holdLock)
        {
            foreach (var delivery in _held ?? [])
            {
                session.EnqueueDelivery(this, delivery);
            }
            _held = null;
        }
    }

    public void Closed(Consumer consumer, string reason) => session.EnqueueError(reason, receiptId: null);
}
