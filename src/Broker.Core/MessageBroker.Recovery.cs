using Broker.Core.Destinations;
using Broker.Core.Messages;
using Broker.Core.Selectors;
using Broker.Core.Storage;

namespace Broker.Core;

public sealed partial class MessageBroker
{
    /// <summary>
    /// Rebuilds destinations, durable subscriptions and queued messages from journal records, in order, before
    /// <see cref="Start"/>. Messages come back in their original order with their delivery counts, so one that
    /// was out with a consumer is redelivered marked as such. Past the memory limit bodies stay on disk.
    /// </summary>
    public void Recover(IMessageStore store, IEnumerable<(long Sequence, StoreRecord Record)> records)
    {
        var state = new RecoveryState(Options.MemoryLimit);
        foreach (var (sequence, record) in records)
        {
            state.Apply(sequence, record);
        }
        Recover(store, state);
    }

    /// <summary>Takes over state already folded from records (a slave's, at promotion).</summary>
    public void Recover(IMessageStore store, RecoveryState state)
    {
        if (State != BrokerState.Stopped || _destinations.Count > 0)
        {
            throw new InvalidOperationException("a broker recovers once, before it starts");
        }
        _context.Store = store;
        foreach (var name in state.Destinations)
        {
            GetOrCreate(name, journal: false, enforceLimit: false);
        }
        var messageCount = 0;
        foreach (var queue in state.Queues)
        {
            var target = queue.Key.IsDurableSubscription
                ? ((TopicDestination)GetOrCreate(DestinationName.Topic(queue.Key.Topic!), journal: false, enforceLimit: false))
                    .EnsureDurable(queue.Key, journal: false, RecoveredSelector(queue))
                : ((QueueDestination)GetOrCreate(DestinationName.Queue(queue.Key.Queue), journal: false, enforceLimit: false)).Queue;
            foreach (var (sequence, message) in queue.Messages.OrderBy(m => m.Key))
            {
                target.EnqueueStored(message.Message, sequence, message.DeliveryCount, message.BodyInStoreOnly);
                messageCount++;
            }
        }
        foreach (var (producerId, window) in state.Producers)
        {
            Duplicates.Adopt(producerId, window, _context.NowMs);
        }
        foreach (var committed in state.CommittedTransactions)
        {
            TransactionOutcomes.Record(committed.User, committed.TransactionId, committed: true, committed.CommittedAtMs);
        }
        TransactionOutcomes.ForgetExpired(_context.NowMs);
        foreach (var job in state.Jobs)
        {
            // Overdue ones fire as soon as the broker starts.
            Scheduler.Add(job.Job, job.Position);
        }
        BrokerLog.Recovered(_logger, Name, messageCount, _destinations.Count, Scheduler.Count, state.RecordCount);
    }

    /// <summary>
    /// A durable subscription's selector was checked when it was made; one this version cannot read any more keeps
    /// the subscription (and what it holds) without a selector rather than refusing to start, and says so.
    /// </summary>
    private MessageSelector? RecoveredSelector(RecoveryState.RecoveredQueue queue)
    {
        if (queue.Selector is null)
        {
            return null;
        }
        try
        {
            return MessageSelector.Parse(queue.Selector);
        }
        catch (SelectorException e)
        {
            BrokerLog.SelectorUnreadable(_logger, Name, queue.Key.Queue, e.Message);
            return null;
        }
    }
}
