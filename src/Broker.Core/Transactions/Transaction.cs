using Broker.Core.Consumers;
using Broker.Core.Messages;

namespace Broker.Core.Transactions;

/// <summary>
/// Sends and acknowledgements that take effect together at <see cref="Commit"/>. Until then sent messages are
/// invisible and acknowledged ones stay in flight with their consumer; <see cref="Rollback"/> returns the
/// acknowledged ones to their queues for redelivery.
/// </summary>
public sealed class Transaction
{
    private readonly MessageBroker _broker;
    private readonly List<Message> _sends = [];
    private readonly List<(Consumer Consumer, long Tag)> _acks = [];

    internal Transaction(MessageBroker broker, string id)
    {
        _broker = broker;
        Id = id;
    }

    public string Id { get; }

    public int Count => _sends.Count + _acks.Count;

    public void Send(Message message)
    {
        EnsureRoom();
        _sends.Add(message);
    }

    /// <summary>Records an ACK; in client mode it covers every earlier delivery too, resolved now.</summary>
    public bool Ack(Consumer consumer, long tag)
    {
        var tags = consumer.TagsAcknowledgedBy(tag);
        if (tags.Count == 0)
        {
            return false;
        }
        EnsureRoom();
        foreach (var acknowledged in tags)
        {
            if (!_acks.Contains((consumer, acknowledged)))
            {
                _acks.Add((consumer, acknowledged));
            }
        }
        return true;
    }

    public void Commit()
    {
        foreach (var message in _sends)
        {
            _broker.Send(message);
        }
        foreach (var (consumer, tag) in _acks)
        {
            consumer.Queue.Acknowledge(consumer, tag, cumulative: false);
        }
        Clear();
    }

    public void Rollback()
    {
        foreach (var (consumer, tag) in _acks)
        {
            consumer.NackOne(tag);
        }
        Clear();
    }

    private void Clear()
    {
        _sends.Clear();
        _acks.Clear();
    }

    private void EnsureRoom()
    {
        if (Count >= _broker.Options.MaxTransactionSize)
        {
            throw new BrokerException(
                $"transaction '{Id}' holds {Count} operations, the most MaxTransactionSize allows");
        }
    }
}
