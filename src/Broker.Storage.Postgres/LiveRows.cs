using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Core.Transactions;

namespace Broker.Storage.Postgres;

/// <summary>
/// Which rows of the records table recovery still needs, so the table holds live state, not history: a message's row
/// until it is removed (the removal itself is never stored), its latest delivery mark, each destination's and durable
/// subscription's creation until it is deleted, the latest committed transactions, and each scheduled job's record
/// with its latest advance until the job ends. Producer marks live in a table
/// of their own (one row per producer). The journal gets the same effect by compaction; here a row simply goes.
/// </summary>
internal sealed class LiveRows
{
    private readonly Dictionary<long, QueueKey> _messages = [];
    private readonly Dictionary<long, long> _deliveredRows = [];
    private readonly Dictionary<long, int> _rowBytes = [];
    private readonly Dictionary<string, long> _meta = new(StringComparer.Ordinal);
    // As the broker's outcome table: the latest commit of each (user, transaction id), oldest evicted first.
    private readonly Dictionary<(string User, string TransactionId), long> _commitRows = [];
    private readonly LinkedList<(string User, string TransactionId)> _commitOrder = new();
    private readonly Dictionary<string, (long ProducerSequence, long Sequence)> _producers = new(StringComparer.Ordinal);

    /// <summary>Bytes of the rows that are live.</summary>
    public long Bytes { get; private set; }

    public int Rows => _rowBytes.Count;

    public bool HoldsMessage(long sequence) => _messages.ContainsKey(sequence);

    public IReadOnlyDictionary<string, (long ProducerSequence, long Sequence)> Producers => _producers;

    /// <summary>
    /// Folds one record (never a transaction: callers pass its operations one by one, each with its own sequence).
    /// Returns whether the record is stored as a row; adds to <paramref name="dropped"/> the rows it makes useless and
    /// to <paramref name="producers"/> the producers whose mark moved.
    /// </summary>
    public bool Fold(long sequence, StoreRecord record, int bytes, ICollection<long> dropped, ISet<string>? producers = null)
    {
        switch (record)
        {
            case DestinationCreatedRecord created:
                Keep(MetaKey(created.Destination), sequence, dropped);
                return Row(sequence, bytes);
            case DestinationDeletedRecord deleted:
                Drop(MetaKey(deleted.Destination), dropped);
                DropMessages(key => OwnedBy(key, deleted.Destination), dropped);
                return false;
            case DurableSubscriptionCreatedRecord subscription:
                Keep("s|" + subscription.Subscription.Queue, sequence, dropped);
                return Row(sequence, bytes);
            case DurableSubscriptionRemovedRecord removed:
                Drop("s|" + removed.Subscription.Queue, dropped);
                DropMessages(key => key.Queue == removed.Subscription.Queue, dropped);
                return false;
            case MessageAddedRecord added:
                _messages[sequence] = added.Queue;
                if (added.ProducerId is not null)
                {
                    Mark(added.ProducerId, added.ProducerSequence, sequence, producers);
                }
                return Row(sequence, bytes);
            case MessageRemovedRecord removed:
                DropMessage(removed.MessageSequence, dropped);
                return false;
            case MessageDeliveredRecord delivered when _messages.ContainsKey(delivered.MessageSequence):
                if (_deliveredRows.Remove(delivered.MessageSequence, out var earlier))
                {
                    DropRow(earlier, dropped);
                }
                _deliveredRows[delivered.MessageSequence] = sequence;
                return Row(sequence, bytes);
            case ProducerMarkRecord mark:
                Mark(mark.ProducerId, mark.ProducerSequence, sequence, producers);
                return false;
            case TransactionCommittedRecord committed:
                // The outcome table keeps the latest commit of each id (a repeated id keeps its place) and forgets the
                // oldest beyond its capacity: the rows recovery would fold into it, no more.
                var key = (committed.User, committed.TransactionId);
                if (_commitRows.TryGetValue(key, out var replaced))
                {
                    DropRow(replaced, dropped);
                }
                else
                {
                    _commitOrder.AddLast(key);
                }
                _commitRows[key] = sequence;
                while (_commitOrder.Count > TransactionOutcomes.Capacity)
                {
                    var oldest = _commitOrder.First!.Value;
                    _commitOrder.RemoveFirst();
                    if (_commitRows.Remove(oldest, out var evicted))
                    {
                        DropRow(evicted, dropped);
                    }
                }
                return Row(sequence, bytes);
            case JobScheduledRecord scheduled:
                // A job's row lives until it ends, with the row of its latest advance.
                Keep("j|" + scheduled.Job.JobId, sequence, dropped);
                Drop("ja|" + scheduled.Job.JobId, dropped);
                return Row(sequence, bytes);
            case JobAdvancedRecord advanced when _meta.ContainsKey("j|" + advanced.JobId):
                Keep("ja|" + advanced.JobId, sequence, dropped);
                return Row(sequence, bytes);
            case JobRemovedRecord removed:
                Drop("j|" + removed.JobId, dropped);
                Drop("ja|" + removed.JobId, dropped);
                return false;
            case TransactionRecord:
                throw new ArgumentException("a transaction is folded operation by operation", nameof(record));
            default:
                // A delivery mark of a message already gone: nothing to keep.
                return false;
        }
    }

    private bool Row(long sequence, int bytes)
    {
        _rowBytes[sequence] = bytes;
        Bytes += bytes;
        return true;
    }

    private void DropRow(long sequence, ICollection<long> dropped)
    {
        if (_rowBytes.Remove(sequence, out var bytes))
        {
            Bytes -= bytes;
            dropped.Add(sequence);
        }
    }

    private void DropMessage(long sequence, ICollection<long> dropped)
    {
        if (_messages.Remove(sequence))
        {
            DropRow(sequence, dropped);
        }
        if (_deliveredRows.Remove(sequence, out var mark))
        {
            DropRow(mark, dropped);
        }
    }

    private void DropMessages(Func<QueueKey, bool> owned, ICollection<long> dropped)
    {
        foreach (var sequence in _messages.Where(m => owned(m.Value)).Select(m => m.Key).ToList())
        {
            DropMessage(sequence, dropped);
        }
    }

    private void Keep(string key, long sequence, ICollection<long> dropped)
    {
        Drop(key, dropped);
        _meta[key] = sequence;
    }

    private void Drop(string key, ICollection<long> dropped)
    {
        if (_meta.Remove(key, out var row))
        {
            DropRow(row, dropped);
        }
    }

    private void Mark(string producerId, long producerSequence, long sequence, ISet<string>? changed)
    {
        if (!_producers.TryGetValue(producerId, out var mark) || mark.ProducerSequence < producerSequence)
        {
            _producers[producerId] = (producerSequence, sequence);
            changed?.Add(producerId);
        }
    }

    private static string MetaKey(DestinationName destination) => (destination.IsQueue ? "q|" : "t|") + destination.Name;

    // As recovery folds a deleted destination: its queue, or every durable subscription of its topic.
    private static bool OwnedBy(QueueKey key, DestinationName destination) =>
        destination.IsQueue ? !key.IsDurableSubscription && key.Queue == destination.Name : key.Topic == destination.Name;
}
