using Broker.Core.Messages;
using Broker.Core.Storage;
using Broker.Storage;

namespace Broker.Replication;

/// <summary>
/// The journal with replication around it (a decorator, as Artemis's ReplicatedJournal): a record is appended
/// locally, the journal hands its bytes to the slave link, and the append completes only when it is durable
/// here and, with a slave in sync, acknowledged there. Acknowledged means replicated.
/// </summary>
public sealed class ReplicatedStore(Journal journal, ReplicationMaster master, ReplicationOptions options) : IMessageStore
{
    public Journal Journal => journal;

    public long UsedBytes => journal.UsedBytes;

    public long Limit => journal.Limit;

    public long LastSequence => journal.LastSequence;

    public StoreTicket Append(StoreRecord record)
    {
        if (master.IsFenced)
        {
            throw new Broker.Core.BrokerException("this broker was fenced: its partner is master now; reconnect there");
        }
        if (options.WhenUnprotected == UnprotectedPolicy.RefusePersistent && !master.IsInSync && AddsMessages(record))
        {
            throw new StoreFullException("the pair is unprotected (no slave in sync); persistent messages are refused (WhenUnprotected: RefusePersistent)");
        }
        var ticket = journal.Append(record);
        // Delivery marks are never awaited; everything else waits for the slave as the ack mode says.
        if (options.ReplicationAck == ReplicationAckMode.Local || record is MessageDeliveredRecord || !master.IsInSync)
        {
            return ticket;
        }
        // Under RefusePersistent a message is receipted only once replicated: a slave lost meanwhile fails it.
        var replicated = master.WaitForAck(ticket.Sequence + record.SequenceCount - 1,
            failOnDetach: options.WhenUnprotected == UnprotectedPolicy.RefusePersistent && AddsMessages(record));
        return ticket with { Durable = Both(ticket.Durable, replicated) };
    }

    public Task WhenDurable(long sequence) => Both(journal.WhenDurable(sequence), master.WaitForAck(sequence));

    public Message ReadMessage(long sequence) => journal.ReadMessage(sequence);

    public ValueTask DisposeAsync() => journal.DisposeAsync();

    private static bool AddsMessages(StoreRecord record) =>
        record is MessageAddedRecord or JobScheduledRecord || (record is TransactionRecord t && t.Operations.Any(o => o is MessageAddedRecord or JobScheduledRecord));

    private static Task Both(Task local, Task replicated) =>
        replicated.IsCompleted ? local : local.IsCompleted ? replicated : Task.WhenAll(local, replicated);
}
