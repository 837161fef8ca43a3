using Broker.Core.Messages;

namespace Broker.Core.Storage;

/// <summary>
/// One change to a broker's durable state: what the journal appends, recovery replays and replication ships.
/// A record takes <see cref="SequenceCount"/> consecutive sequence numbers (a transaction takes one per
/// operation, so each message it adds has a number of its own).
/// </summary>
public abstract record StoreRecord
{
    public virtual int SequenceCount => 1;

    /// <summary>
    /// Whether the record may wait for the next group commit instead of starting one: losing it in a crash only
    /// makes a message come again (marked redelivered when its delivery mark survived), so nobody is told it
    /// is durable before it is. A store flushes it with the next record that must be durable, with a
    /// <see cref="IMessageStore.WhenDurable"/> that asks for it, or after a short delay of its own.
    /// </summary>
    public virtual bool RidesNextCommit => false;
}

/// <summary>Which message list a record is about: a queue, or a durable topic subscription's own queue.</summary>
public readonly record struct QueueKey(string Queue, string? Topic = null, string? ClientId = null, string? Subscription = null)
{
    public static QueueKey ForQueue(string name) => new(name);

    public static QueueKey ForDurable(string topic, string clientId, string subscription) =>
        new($"{topic}#{clientId}:{subscription}", topic, clientId, subscription);

    public bool IsDurableSubscription => Topic is not null;

    public override string ToString() => Queue;
}

public enum RemovalReason : byte
{
    Acknowledged,
    Expired,
    DeadLettered,
    Purged,
    Deleted,
    Discarded,
}

public sealed record DestinationCreatedRecord(DestinationName Destination) : StoreRecord;

public sealed record DestinationDeletedRecord(DestinationName Destination) : StoreRecord;

/// <summary>A durable topic subscription began; <paramref name="Selector"/> is the JMS selector it keeps across restarts and failovers.</summary>
public sealed record DurableSubscriptionCreatedRecord(QueueKey Subscription, string? Selector = null) : StoreRecord;

public sealed record DurableSubscriptionRemovedRecord(QueueKey Subscription) : StoreRecord;

/// <summary>A persistent message entered a queue. The producer's id and sequence feed the duplicate filter.</summary>
public sealed record MessageAddedRecord(QueueKey Queue, Message Message, string? ProducerId, long ProducerSequence) : StoreRecord;

/// <summary>A message left a queue; <paramref name="MessageSequence"/> is the sequence of its <see cref="MessageAddedRecord"/>.</summary>
public sealed record MessageRemovedRecord(QueueKey Queue, long MessageSequence, RemovalReason Reason) : StoreRecord
{
    /// <summary>
    /// Every removal rides the next commit but an operator's purge or delete: the operator is told it is done (and a
    /// dead-lettered or expired message's copy in the dead-letter queue is a record that flushes at once anyway).
    /// </summary>
    public override bool RidesNextCommit => Reason is not (RemovalReason.Purged or RemovalReason.Deleted);
}

/// <summary>A message went out to a consumer; after a restart or failover it is redelivered marked as such.</summary>
public sealed record MessageDeliveredRecord(QueueKey Queue, long MessageSequence, int DeliveryCount) : StoreRecord
{
    public override bool RidesNextCommit => true;
}

/// <summary>A committed transaction's sends and acks, applied all together or not at all.</summary>
public sealed record TransactionRecord(IReadOnlyList<StoreRecord> Operations) : StoreRecord
{
    public override int SequenceCount => Math.Max(1, Operations.Count);
}

/// <summary>
/// A transaction committed: who committed it (the login) and its id, so a COMMIT repeated after a failover or
/// a restart still gets its RECEIPT. Written as the last operation of the commit's <see cref="TransactionRecord"/>
/// (atomic with it); compaction keeps it as a record of its own. <paramref name="CommittedAtMs"/> lets the
/// recovered outcome expire on time.
/// </summary>
public sealed record TransactionCommittedRecord(string User, string TransactionId, long CommittedAtMs) : StoreRecord;

/// <summary>A producer's duplicate-filter mark, kept by compaction after the messages that carried it are gone.</summary>
public sealed record ProducerMarkRecord(string ProducerId, long ProducerSequence) : StoreRecord;

/// <summary>
/// A message was scheduled (<see cref="Scheduling.ScheduleSpec"/>): the broker holds it, outside any destination, until
/// it is due. <paramref name="Position"/> is where the job starts.
/// </summary>
public sealed record JobScheduledRecord(Scheduling.JobDefinition Job, Scheduling.JobPosition Position) : StoreRecord;

/// <summary>
/// A job delivered and moved on to <paramref name="Position"/>. Written as the last operation of a
/// <see cref="TransactionRecord"/> whose other operations add the delivered message to its queues, so a crash keeps
/// the delivery and the advance together or neither (the job then fires again).
/// </summary>
public sealed record JobAdvancedRecord(string JobId, Scheduling.JobPosition Position) : StoreRecord;

public enum JobRemovalReason : byte
{
    /// <summary>Its last delivery was made (in the same transaction as that delivery).</summary>
    Completed,

    /// <summary>An operator cancelled it.</summary>
    Cancelled,
}

/// <summary>A job ended: it made its last delivery, or it was cancelled.</summary>
public sealed record JobRemovedRecord(string JobId, JobRemovalReason Reason) : StoreRecord;
