using System.Text;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Storage;

namespace Broker.Storage.Tests;

/// <summary>Scheduled jobs in the journal: their records round-trip, recovery folds them, compaction keeps live ones only.</summary>
public class ScheduledJobStorageTests : JournalTestBase
{
    internal static JobDefinition Job(string id, string body = "payload", string? cron = null) => new(
        id,
        new Message
        {
            MessageId = id,
            Destination = DestinationName.Queue("later"),
            Headers = [new(ScheduleSpec.DelayHeader, "1000"), new("ünï", "値")],
            Body = Encoding.UTF8.GetBytes(body),
            Persistent = true,
            Priority = 7,
            Timestamp = 1_700_000_000_000,
        },
        new ScheduleSpec(1000, 250, 3, cron),
        1_700_000_000_000);

    private static readonly JobPosition Start = new(1_700_000_001_000, 3, 0, 0);

    [Fact]
    public async Task JobRecords_RoundTrip_AloneAndInsideATransaction()
    {
        var job = Job("job-1", cron: "*/5 * * * *");
        var advanced = new JobPosition(1_700_000_001_250, 2, 1_699_999_999_000, 1);
        StoreRecord[] records =
        [
            new JobScheduledRecord(job, Start),
            new TransactionRecord([Add("fired-1", "payload", "later"), new JobAdvancedRecord("job-1", advanced)]),
            new JobRemovedRecord("job-1", JobRemovalReason.Cancelled),
        ];
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            foreach (var record in records)
            {
                journal.Append(record);
            }
            await journal.WhenDurable(journal.LastSequence);
        }
        var replayed = await ReopenAndReplay();

        var scheduled = Assert.IsType<JobScheduledRecord>(replayed[0].Record);
        Assert.Equal(Start, scheduled.Position);
        Assert.Equal(job.Schedule, scheduled.Job.Schedule);
        Assert.Equal((job.JobId, job.ScheduledAtMs), (scheduled.Job.JobId, scheduled.Job.ScheduledAtMs));
        Assert.Equal(Describe(job.Message), Describe(scheduled.Job.Message));
        var transaction = Assert.IsType<TransactionRecord>(replayed[1].Record);
        Assert.Equal(new JobAdvancedRecord("job-1", advanced), transaction.Operations[1]);
        Assert.Equal(new JobRemovedRecord("job-1", JobRemovalReason.Cancelled), replayed[2].Record);
        Assert.Equal([1L, 2, 4], replayed.Select(r => r.Sequence));
    }

    [Fact]
    public async Task Recovery_FoldsEachJobToItsLatestAdvance_EndedJobsGone()
    {
        var (journal, _) = OpenReplay();
        await using (journal)
        {
            journal.Append(new JobScheduledRecord(Job("a"), Start));
            journal.Append(new JobScheduledRecord(Job("b"), Start));
            journal.Append(new JobScheduledRecord(Job("c"), Start));
            journal.Append(new TransactionRecord([Add("a-1", "x", "later"), new JobAdvancedRecord("a", Start with { RepeatsLeft = 2, Fired = 1 })]));
            journal.Append(new TransactionRecord([Add("b-1", "x", "later"), new JobRemovedRecord("b", JobRemovalReason.Completed)]));
            journal.Append(new JobRemovedRecord("c", JobRemovalReason.Cancelled));
            await journal.WhenDurable(journal.LastSequence);
        }
        var state = new RecoveryState(long.MaxValue);
        foreach (var (sequence, record) in await ReopenAndReplay())
        {
            state.Apply(sequence, record);
        }
        var job = Assert.Single(state.Jobs);
        Assert.Equal(("a", 2, 1L), (job.Job.JobId, job.Position.RepeatsLeft, job.Position.Fired));
        Assert.Equal(2, state.Queues.Single().Messages.Count);
    }

    [Fact]
    public async Task Compaction_KeepsLiveJobsWithTheirLatestAdvance_DropsEndedOnes()
    {
        var (journal, _) = OpenReplay(Small());
        await using (journal)
        {
            journal.Append(new JobScheduledRecord(Job("kept"), Start));
            journal.Append(new JobScheduledRecord(Job("cancelled"), Start));
            var body = new string('g', 1000);
            var garbage = new List<long>();
            for (var i = 0; i < 400; i++)
            {
                garbage.Add(journal.Append(Add($"m{i}", body)).Sequence);
                if (i == 50)
                {
                    journal.Append(new TransactionRecord([Add("delivered", "d", "later"), new JobAdvancedRecord("kept", Start with { RepeatsLeft = 2, Fired = 1 })]));
                    journal.Append(new JobRemovedRecord("cancelled", JobRemovalReason.Cancelled));
                }
            }
            foreach (var sequence in garbage)
            {
                journal.Append(Remove(sequence));
            }
            await journal.WhenDurable(journal.LastSequence);
            var compacted = await journal.CompactAsync();
            Assert.True(compacted || journal.HistoryStart > 1, "compaction did not run");
            Assert.True(journal.HistoryStart > garbage[100]);
        }
        var state = new RecoveryState(long.MaxValue);
        foreach (var (sequence, record) in await ReopenAndReplay(Small()))
        {
            state.Apply(sequence, record);
        }
        var job = Assert.Single(state.Jobs);
        Assert.Equal(("kept", 2, 1L), (job.Job.JobId, job.Position.RepeatsLeft, job.Position.Fired));
        Assert.Equal("payload", Encoding.UTF8.GetString(job.Job.Message.Body.Span));
        Assert.Equal(["delivered"], state.Queues.SelectMany(q => q.Messages.Values).Select(m => m.Message.MessageId));
    }
}
