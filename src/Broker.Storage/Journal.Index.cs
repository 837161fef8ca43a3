using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Core.Transactions;

namespace Broker.Storage;

/// <summary>
/// What the journal still needs: every live message's record (to read a paged body back, and to copy it
/// when compacting), the records of live destinations and durable subscriptions, producer marks, and the latest
/// committed transactions' identities.
/// Updated under the journal's lock as records are appended or replayed.
/// </summary>
public sealed partial class Journal
{
    private readonly Dictionary<long, LiveMessage> _liveMessages = [];
    private readonly Dictionary<string, LiveRecord> _liveMeta = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long ProducerSequence, long RecordSequence)> _producers = new(StringComparer.Ordinal);
    private readonly BoundedOutcomeTable<(long Sequence, TransactionCommittedRecord Record)> _committed = new(TransactionOutcomes.Capacity);

    /// <summary>Messages the journal holds for the broker (what recovery would bring back).</summary>
    public int LiveMessageCount
    {
        get { lock (_lock) { return _liveMessages.Count; } }
    }

    /// <summary>
    /// Gives back the index's room once its messages are gone: a dictionary keeps the capacity of its largest size,
    /// tens of MiB after a million queued messages were drained.
    /// </summary>
    public void TrimIndex()
    {
        lock (_lock)
        {
            _liveMessages.TrimExcess();
            _liveMeta.TrimExcess();
            _producers.TrimExcess();
        }
    }

    private void Track(StoreRecord record, long sequence, Segment segment, long offset, int length, int operation = -1)
    {
        var location = new Location(segment, offset, length, operation);
        var bytes = length;
        switch (record)
        {
            case DestinationCreatedRecord r:
                KeepMeta(DestinationKey(r.Destination), sequence, location, length);
                break;
            case DestinationDeletedRecord r:
                DropMeta(DestinationKey(r.Destination));
                break;
            case DurableSubscriptionCreatedRecord r:
                KeepMeta("s|" + r.Subscription.Queue, sequence, location, length);
                break;
            case DurableSubscriptionRemovedRecord r:
                DropMeta("s|" + r.Subscription.Queue);
                break;
            case MessageAddedRecord r:
                _liveMessages[sequence] = new LiveMessage(location, bytes);
                segment.LiveBytes += bytes;
                if (r.ProducerId is not null)
                {
                    _producers[r.ProducerId] = (r.ProducerSequence, sequence);
                }
                break;
            case MessageRemovedRecord r:
                if (_liveMessages.Remove(r.MessageSequence, out var removed))
                {
                    removed.Location.Segment.LiveBytes -= removed.Bytes;
                }
                break;
            case MessageDeliveredRecord r:
                ref var delivered = ref CollectionsMarshal.GetValueRefOrNullRef(_liveMessages, r.MessageSequence);
                if (!Unsafe.IsNullRef(ref delivered))
                {
                    delivered.DeliveredSequence = sequence;
                    delivered.DeliveryCount = r.DeliveryCount;
                }
                break;
            case ProducerMarkRecord r:
                _producers[r.ProducerId] = (r.ProducerSequence, sequence);
                break;
            case JobScheduledRecord r:
                KeepMeta(JobKey(r.Job.JobId), sequence, location, length);
                DropMeta(JobAdvanceKey(r.Job.JobId));
                break;
            case JobAdvancedRecord r:
                KeepMeta(JobAdvanceKey(r.JobId), sequence, location, length);
                break;
            case JobRemovedRecord r:
                DropMeta(JobKey(r.JobId));
                DropMeta(JobAdvanceKey(r.JobId));
                break;
            case TransactionCommittedRecord r:
                // Kept (at most as many as the broker remembers) so compaction does not drop the outcomes.
                _committed.Set(r.User, r.TransactionId, (sequence, r));
                break;
            case TransactionRecord r:
                for (var i = 0; i < r.Operations.Count; i++)
                {
                    // Each operation is charged an equal share of the record's bytes.
                    TrackOperation(r.Operations[i], sequence + i, segment, offset, length, i, Math.Max(1, length / r.Operations.Count));
                }
                break;
        }
    }

    private void TrackOperation(StoreRecord operation, long sequence, Segment segment, long offset, int length, int index, int share)
    {
        if (operation is MessageAddedRecord added)
        {
            _liveMessages[sequence] = new LiveMessage(new Location(segment, offset, length, index), share);
            segment.LiveBytes += share;
            if (added.ProducerId is not null)
            {
                _producers[added.ProducerId] = (added.ProducerSequence, sequence);
            }
            return;
        }
        if (operation is JobAdvancedRecord advanced)
        {
            // A delivery's advance: charged its share of the transaction, like the message it delivered.
            KeepMeta(JobAdvanceKey(advanced.JobId), sequence, new Location(segment, offset, length, index), share);
            return;
        }
        if (operation is JobScheduledRecord scheduled)
        {
            KeepMeta(JobKey(scheduled.Job.JobId), sequence, new Location(segment, offset, length, index), share);
            return;
        }
        Track(operation, sequence, segment, offset, length, index);
    }

    private void KeepMeta(string key, long sequence, Location location, int length)
    {
        DropMeta(key);
        _liveMeta[key] = new LiveRecord(sequence, location, length);
        location.Segment.LiveBytes += length;
    }

    private void DropMeta(string key)
    {
        if (_liveMeta.Remove(key, out var gone))
        {
            gone.Location.Segment.LiveBytes -= gone.Bytes;
        }
    }

    // A live job keeps its scheduling record and its latest advance (if it has fired): recovery needs both.
    private static string JobKey(string jobId) => "j|" + jobId;

    private static string JobAdvanceKey(string jobId) => "ja|" + jobId;

    private static string DestinationKey(DestinationName destination) => (destination.IsQueue ? "q|" : "t|") + destination.Name;

    /// <summary>Where a record sits: its segment, offset and length, and its operation index inside a transaction (-1 if none).</summary>
    private readonly record struct Location(Segment Segment, long Offset, int Length, int Operation);

    /// <summary>
    /// A struct held in the dictionary's own entries: as a class it cost an object (64 bytes) besides its entry,
    /// for every one of a million queued messages. Changed in place through CollectionsMarshal.
    /// </summary>
    private struct LiveMessage(Location location, int bytes)
    {
        public Location Location = location;

        public int Bytes = bytes;

        public int DeliveryCount;

        public long DeliveredSequence;
    }

    private sealed record LiveRecord(long Sequence, Location Location, long Bytes)
    {
        public Location Location { get; set; } = Location;
    }
}
