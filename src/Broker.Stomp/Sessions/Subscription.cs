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

    public Consumer Consumer { get; set; } = null!;

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
            if (_tagsByMessageId.Count > 2 * Consumer.Options.Prefetch + 16)
            {
                foreach (var (key, value) in _tagsByMessageId.ToList())
                {
                    if (!Consumer.IsInFlight(value))
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
