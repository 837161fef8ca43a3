using Broker.Core.Destinations;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Storage;

namespace Broker.Core;

public sealed partial class MessageBroker
{
    private MessageScheduler Scheduler { get; set; } = null!;

    /// <summary>Scheduled jobs waiting to deliver.</summary>
    public int ScheduledCount => Scheduler.Count;

    private void CreateScheduler()
    {
        Scheduler = new MessageScheduler(_context.Clock, $"scheduler {Name}")
        {
            Fire = FireJob,
            Failed = (job, e) => BrokerLog.ScheduledDeliveryFailed(_logger, e, Name, job.JobId, job.Message.Destination.ToString()),
        };
    }

    /// <summary>
    /// Holds a message until its schedule says it is due, then sends it to its destination as an ordinary send (once,
    /// or repeatedly). The job's id is the message's id. The task completes when the job is durable.
    /// </summary>
    public Task Schedule(Message message, ScheduleSpec schedule)
    {
        EnsureStarted();
        // A SEND resent after a reconnection (the failover client's producer-id and producer-seq) schedules once.
        if (AdmitSend(message, out var producerId, out var producerSequence) is { } copy)
        {
            return copy;
        }
        var now = _context.NowMs;
        var definition = new JobDefinition(message.MessageId, message, schedule, now);
        var position = schedule.First(now);
        StoreRecord record = producerId is null
            ? new JobScheduledRecord(definition, position)
            // The producer's mark rides with the job, so a restarted broker or the slave knows the resend too.
            : new TransactionRecord([new JobScheduledRecord(definition, position), new ProducerMarkRecord(producerId, producerSequence)]);
        var ticket = StoreTicket.None;
        try
        {
            // Journaled before the scheduler takes the job in: a cancel or delivery of it can only come after its record.
            Scheduler.Add(definition, position, () => ticket = _context.Append(record));
        }
        catch (Exception e) when (producerId is not null)
        {
            Duplicates.Refused(producerId, producerSequence, e);
            throw;
        }
        if (producerId is not null)
        {
            Duplicates.Accepted(producerId, producerSequence, ticket.Sequence + record.SequenceCount - 1, ticket.Durable);
        }
        Counters.MessageScheduled();
        return ticket.Durable;
    }

    /// <summary>The job a transaction's commit journaled (its record is in the commit's); now it waits to be due.</summary>
    internal (JobDefinition Definition, JobPosition Position) PlanJob(Message message, ScheduleSpec schedule)
    {
        var now = _context.NowMs;
        return (new JobDefinition(message.MessageId, message, schedule, now), schedule.First(now));
    }

    internal void AdoptJob(JobDefinition definition, JobPosition position)
    {
        Scheduler.Add(definition, position);
        Counters.MessageScheduled();
    }

    /// <summary>Cancels a scheduled job; null when there is no such job, else a task that completes when the cancel is durable.</summary>
    public Task? CancelScheduled(string jobId)
    {
        var ticket = StoreTicket.None;
        if (!Scheduler.Remove(jobId, () => ticket = _context.Append(new JobRemovedRecord(jobId, JobRemovalReason.Cancelled))))
        {
            return null;
        }
        Publish(Events.BrokerEventKind.ScheduledJobCancelled, $"scheduled job {jobId} cancelled");
        return ticket.Durable;
    }

    /// <summary>Every scheduled job, soonest first.</summary>
    public IReadOnlyList<ScheduledJobInfo> GetScheduled() =>
        [.. Scheduler.Snapshot().Select(j => Describe(j.Definition, j.Position))];

    public ScheduledJobInfo? FindScheduled(string jobId) =>
        Scheduler.Find(jobId) is { } job ? Describe(job.Definition, job.Position) : null;

    /// <summary>Delivers every job due now (tests, with a hand-moved clock).</summary>
    internal void RunDueJobs() => Scheduler.Tick();

    private static ScheduledJobInfo Describe(JobDefinition definition, JobPosition position) => new(
        definition.JobId,
        definition.Message.Destination,
        DateTimeOffset.FromUnixTimeMilliseconds(position.NextDueMs),
        position.RepeatsLeft,
        definition.Schedule.PeriodMs,
        definition.Schedule.DelayMs,
        definition.Schedule.Cron,
        position.Fired,
        definition.Message.MessageId,
        definition.Message.Size,
        DateTimeOffset.FromUnixTimeMilliseconds(definition.ScheduledAtMs));

    /// <summary>
    /// One delivery of a due job, under the scheduler's lock: the message (its own id for every delivery after the first,
    /// <c>scheduledJobId</c> added) and the job's advance are journaled as one transaction record, then the message joins
    /// its destination's queues. A crash before the record is durable loses both, so the job fires again after
    /// recovery: a due message is never lost, and is delivered once per occurrence when the record survives.
    /// </summary>
    private (bool Delivered, JobPosition? Next) FireJob(JobDefinition job, JobPosition position, long nowMs)
    {
        if (State != BrokerState.Started || _context.Quiesced)
        {
            return (false, null);
        }
        var original = job.Message;
        var message = original with
        {
            // The n-th delivery after the first is "<job id>:<n>": new for every delivery, and the same again should a crash
            // lose the delivery's record after the consumer had it (the job then delivers that occurrence again).
            MessageId = position.Fired == 0 ? original.MessageId : $"{original.MessageId}:{position.Fired.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            Headers = [.. original.Headers.Where(h => h.Key != ScheduleSpec.JobIdHeader), new(ScheduleSpec.JobIdHeader, job.JobId)],
        };
        var next = job.Schedule.Next(position, nowMs);
        // A scheduled message's destination is created whatever MaxDestinations says: the message was accepted already.
        var destination = Enter(message.Destination, enforceLimit: false);
        try
        {
            var records = new List<StoreRecord>();
            var targets = destination.Targets;
            foreach (var queue in targets)
            {
                if (message.Persistent && queue.IsDurable)
                {
                    records.Add(new MessageAddedRecord(queue.Key, message, null, 0));
                }
            }
            records.Add(next is { } moved ? new JobAdvancedRecord(job.JobId, moved) : new JobRemovedRecord(job.JobId, JobRemovalReason.Completed));
            var ticket = _context.Append(new TransactionRecord(records));
            var sequence = ticket.Sequence;
            foreach (var queue in targets)
            {
                if (message.Persistent && queue.IsDurable)
                {
                    queue.EnqueueStored(message, sequence++);
                }
                else
                {
                    queue.EnqueueStored(message, 0);
                }
            }
        }
        finally
        {
            destination.Exit();
        }
        Counters.MessageIn();
        Counters.ScheduledDelivered(nowMs - position.NextDueMs);
        return (true, next);
    }
}
