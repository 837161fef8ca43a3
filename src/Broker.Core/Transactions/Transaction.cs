using Broker.Core.Consumers;
using Broker.Core.Destinations;
using Broker.Core.Messages;
using Broker.Core.Storage;

namespace Broker.Core.Transactions;

/// <summary>
/// Sends and acknowledgements that take effect together at <see cref="Commit"/>. Until then sent messages are
/// invisible and acknowledged ones stay in flight with their consumer; <see cref="Rollback"/> returns the
/// acknowledged ones to their queues for redelivery. A commit is one journal record, so a crash keeps all of
/// it or none.
/// </summary>
public sealed class Transaction
{
    private readonly MessageBroker _broker;
    private readonly List<(Message Message, IReadOnlyList<DestinationName>? Composite)> _sends = [];
    private readonly List<(Message Message, Scheduling.ScheduleSpec Schedule)> _schedules = [];
    private readonly List<(Consumer Consumer, long Tag)> _acks = [];
    private readonly HashSet<(Consumer, long)> _acked = [];

    internal Transaction(MessageBroker broker, string id)
    {
        _broker = broker;
        Id = id;
    }

    public string Id { get; }

    public int Count => _sends.Count + _schedules.Count + _acks.Count;

    public void Send(Message message)
    {
        EnsureRoom(1);
        _sends.Add((message, null));
    }

    /// <summary>Sends a copy to each of <paramref name="destinations"/> at commit (a composite destination).</summary>
    public void Send(Message message, IReadOnlyList<DestinationName> destinations)
    {
        EnsureRoom(1);
        _sends.Add((message, destinations.Count == 1 ? null : destinations));
    }

    /// <summary>A scheduled send: the job is journaled with the commit and starts its schedule then.</summary>
    public void Schedule(Message message, Scheduling.ScheduleSpec schedule)
    {
        EnsureRoom(1);
        _schedules.Add((message, schedule));
    }

    /// <summary>Records an ACK; in client mode it covers every earlier delivery too, resolved now.</summary>
    public bool Ack(Consumer consumer, long tag)
    {
        var tags = consumer.TagsAcknowledgedBy(tag);
        if (tags.Count == 0)
        {
            return false;
        }
        EnsureRoom(tags.Count);
        foreach (var acknowledged in tags)
        {
            if (_acked.Add((consumer, acknowledged)))
            {
                _acks.Add((consumer, acknowledged));
            }
        }
        return true;
    }

    /// <summary>
    /// Applies everything; the task completes when the commit is durable. The outcome is recorded under
    /// <paramref name="user"/> and journaled with the commit, so a repeated COMMIT after a failover finds it.
    /// </summary>
    public Task Commit(string user)
    {
        // Each destination sent to is held until its messages are in: one found inactive meanwhile is not removed.
        var entered = new Dictionary<DestinationName, Destination>();
        try
        {
            return CommitEntered(user, entered);
        }
        finally
        {
            foreach (var destination in entered.Values)
            {
                destination.Exit();
            }
        }
    }

    public void Rollback()
    {
        foreach (var (consumer, tag) in _acks)
        {
            consumer.NackOne(tag);
        }
        Clear();
    }

    private Task CommitEntered(string user, Dictionary<DestinationName, Destination> entered)
    {
        var admitted = new List<(string ProducerId, long ProducerSequence)>();
        StoreTicket ticket;
        List<(bool Journaled, Action<long> Apply)> applies;
        try
        {
            (ticket, applies) = Append(user, admitted, entered);
        }
        catch (Exception e)
        {
            // Nothing was stored: each producer's retry must be.
            foreach (var (producerId, producerSequence) in admitted)
            {
                _broker.Duplicates.Refused(producerId, producerSequence, e);
            }
            throw;
        }
        // Journaled operations take the transaction's consecutive sequence numbers, in order.
        var next = ticket.Sequence;
        foreach (var (journaled, apply) in applies)
        {
            apply(next);
            next += journaled ? 1 : 0;
        }
        foreach (var (producerId, producerSequence) in admitted)
        {
            _broker.Duplicates.Accepted(producerId, producerSequence, ticket.Sequence, ticket.Durable);
        }
        Clear();
        return ticket.Durable;
    }

    /// <summary>Journals the whole transaction as one record; <paramref name="admitted"/> collects the producer numbers it reserved.</summary>
    private (StoreTicket Ticket, List<(bool Journaled, Action<long> Apply)> Applies) Append(string user, List<(string ProducerId, long ProducerSequence)> admitted,
        Dictionary<DestinationName, Destination> entered)
    {
        var records = new List<StoreRecord>();
        var applies = new List<(bool Journaled, Action<long> Apply)>();
        foreach (var (sent, composite) in _sends)
        {
            if (_broker.AdmitSend(sent, out var producerId, out var producerSequence) is not null)
            {
                continue;
            }
            if (producerId is not null)
            {
                admitted.Add((producerId, producerSequence));
            }
            foreach (var addressed in composite?.Select(d => sent with { Destination = d }) ?? [sent])
            {
                if (addressed.Destination.IsWildcard)
                {
                    throw new BrokerException($"{addressed.Destination} is a wildcard: a message is sent to a destination, a wildcard only subscribes");
                }
                if (!entered.TryGetValue(addressed.Destination, out var destination))
                {
                    entered[addressed.Destination] = destination = _broker.Enter(addressed.Destination);
                }
                AddTo(destination, addressed);
                // Wildcard topics and virtual consumer queues, as a plain SEND reaches them; held like the others.
                foreach (var (target, message) in _broker.Routes(addressed))
                {
                    if (entered.ContainsKey(target.Name) || target.TryEnter())
                    {
                        entered.TryAdd(target.Name, target);
                        AddTo(target, message);
                    }
                }
            }

            void AddTo(Destination destination, Message message)
            {
                foreach (var queue in destination.Targets)
                {
                    if (message.Persistent && queue.IsDurable)
                    {
                        records.Add(new MessageAddedRecord(queue.Key, message, producerId, producerSequence));
                        applies.Add((true, sequence => queue.EnqueueStored(message, sequence)));
                    }
                    else
                    {
                        applies.Add((false, _ => queue.EnqueueStored(message, 0)));
                    }
                }
            }
        }
        foreach (var (message, schedule) in _schedules)
        {
            var (definition, position) = _broker.PlanJob(message, schedule);
            records.Add(new JobScheduledRecord(definition, position));
            applies.Add((true, _ => _broker.AdoptJob(definition, position)));
        }
        foreach (var (consumer, tag) in _acks)
        {
            if (consumer.StoreSequenceOf(tag) is long stored and > 0)
            {
                records.Add(new MessageRemovedRecord(consumer.Queue.Key, stored, RemovalReason.Acknowledged));
                applies.Add((true, _ => consumer.Queue.Acknowledge(consumer, tag, cumulative: false, journal: false)));
            }
            else
            {
                applies.Add((false, _ => consumer.Queue.Acknowledge(consumer, tag, cumulative: false)));
            }
        }
        // The commit's identity goes last, in the same record: journaled with it or not at all. It is journaled even
        // for a commit with nothing durable, so the answer to a repeated COMMIT never depends on which broker it asks.
        var committedAt = _broker.NowMs;
        records.Add(new TransactionCommittedRecord(user, Id, committedAt));
        var ticket = _broker.Append(new TransactionRecord(records));
        _broker.TransactionOutcomes.Record(user, Id, committed: true, committedAt);
        return (ticket, applies);
    }

    private void Clear()
    {
        _sends.Clear();
        _schedules.Clear();
        _acks.Clear();
        _acked.Clear();
    }

    private void EnsureRoom(int more)
    {
        if (Count + more > _broker.Options.MaxTransactionSize)
        {
            throw new BrokerException(
                $"transaction '{Id}' would hold more than {_broker.Options.MaxTransactionSize} operations (MaxTransactionSize)");
        }
    }
}
