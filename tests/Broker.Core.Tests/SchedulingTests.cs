using Broker.Core.Consumers;
using Broker.Core.Messages;
using Broker.Core.Scheduling;
using Broker.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using static Broker.Core.Tests.TestBroker;

namespace Broker.Core.Tests;

/// <summary>
/// ActiveMQ's scheduled delivery against a hand-moved clock: the broker holds the message until it is due, then
/// sends it; the tests deliver due jobs themselves (<see cref="MessageBroker.RunDueJobs"/>), the timers never fire.
/// </summary>
public class SchedulingTests
{
    private static TestBroker Broker(IMessageStore? store = null) => new(store: store, manualSweep: true);

    private static Message Scheduled(TestBroker t, string body, params (string Name, string Value)[] headers) =>
        TestMessages.Create(t.Broker, Q("q"), body, headers: [.. headers.Select(h => KeyValuePair.Create(h.Name, h.Value))]) with { Persistent = true };

    private static ScheduleSpec Spec(Message message) => ScheduleSpec.FromHeaders(message.Headers)!;

    private static void Advance(TestBroker t, long ms)
    {
        t.Clock.Advance(TimeSpan.FromMilliseconds(ms));
        t.Broker.RunDueJobs();
    }

    [Fact]
    public void Delay_HeldUntilDueThenSentOnce()
    {
        using var t = Broker();
        var (_, sink) = t.Subscribe(Q("q"));
        var message = Scheduled(t, "later", (ScheduleSpec.DelayHeader, "5000"));
        t.Broker.Schedule(message, Spec(message));

        Advance(t, 4999);
        Assert.Empty(sink.Deliveries);
        Assert.Equal(1, t.Broker.ScheduledCount);

        Advance(t, 1);
        var delivered = sink.Single().Message;
        Assert.Equal(message.MessageId, delivered.MessageId);
        Assert.Equal(message.MessageId, delivered.Header(ScheduleSpec.JobIdHeader));
        Assert.Equal(0, t.Broker.ScheduledCount);
        Assert.Equal((1, 0), (t.Broker.Counters.ScheduledDeliveries, t.Broker.Counters.ScheduledLate));

        Advance(t, 100_000);
        Assert.Single(sink.Deliveries);
    }

    [Fact]
    public void RepeatAndPeriod_DeliversRepeatPlusOneTimesWithNewIds()
    {
        using var t = Broker();
        var (_, sink) = t.Subscribe(Q("q"));
        var message = Scheduled(t, "tick", (ScheduleSpec.DelayHeader, "1000"), (ScheduleSpec.PeriodHeader, "500"), (ScheduleSpec.RepeatHeader, "3"));
        t.Broker.Schedule(message, Spec(message));

        Advance(t, 1000);
        Assert.Single(sink.Deliveries);
        Assert.Equal(2, t.Broker.GetScheduled().Single().RepeatsLeft); // after the next delivery
        Advance(t, 499);
        Assert.Single(sink.Deliveries);
        Advance(t, 1);
        Advance(t, 500);
        Advance(t, 500);
        Assert.Equal(4, sink.Deliveries.Count);
        Assert.Equal([message.MessageId, $"{message.MessageId}:1", $"{message.MessageId}:2", $"{message.MessageId}:3"], sink.Deliveries.Select(d => d.Message.MessageId));
        Assert.All(sink.Deliveries, d => Assert.Equal(message.MessageId, d.Message.Header(ScheduleSpec.JobIdHeader)));
        Assert.Empty(t.Broker.GetScheduled());
        Advance(t, 10_000);
        Assert.Equal(4, sink.Deliveries.Count);
    }

    [Fact]
    public void LateTick_DeliversEveryDueJobInDueOrder()
    {
        using var t = Broker();
        var (_, sink) = t.Subscribe(Q("q"));
        foreach (var (body, delay) in new[] { ("c", 300), ("a", 100), ("b", 200) })
        {
            var message = Scheduled(t, body, (ScheduleSpec.DelayHeader, delay.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            t.Broker.Schedule(message, Spec(message));
        }
        Advance(t, 1000);
        Assert.Equal(["a", "b", "c"], sink.Bodies);
        Assert.Equal(3, t.Broker.Counters.ScheduledLate);
    }

    [Fact]
    public void Cancel_JobNeverDeliversAndIsJournaled()
    {
        var store = new MemoryStore();
        using var t = Broker(store);
        var (_, sink) = t.Subscribe(Q("q"));
        var message = Scheduled(t, "never", (ScheduleSpec.DelayHeader, "1000"));
        t.Broker.Schedule(message, Spec(message));

        Assert.NotNull(t.Broker.CancelScheduled(message.MessageId));
        Assert.Null(t.Broker.CancelScheduled(message.MessageId));
        Advance(t, 5000);
        Assert.Empty(sink.Deliveries);
        Assert.Empty(store.Fold().Jobs);
        Assert.Contains(store.Records, r => r.Record is JobRemovedRecord { Reason: JobRemovalReason.Cancelled });
    }

    [Fact]
    public void Delivery_IsOneRecordWithTheMessageAndTheAdvance()
    {
        var store = new MemoryStore();
        using var t = Broker(store);
        var message = Scheduled(t, "x", (ScheduleSpec.DelayHeader, "10"), (ScheduleSpec.RepeatHeader, "1"), (ScheduleSpec.PeriodHeader, "10"));
        t.Broker.Schedule(message, Spec(message));
        Assert.Equal(message.MessageId, Assert.Single(store.Fold().Jobs).Job.JobId);

        Advance(t, 10);
        var fired = Assert.IsType<TransactionRecord>(store.Records[^1].Record);
        Assert.IsType<MessageAddedRecord>(fired.Operations[0]);
        Assert.Equal(0, Assert.IsType<JobAdvancedRecord>(fired.Operations[1]).Position.RepeatsLeft);
        var state = store.Fold();
        Assert.Single(state.Queues.Single().Messages);
        Assert.Equal(0, state.Jobs.Single().Position.RepeatsLeft);

        Advance(t, 10);
        Assert.IsType<JobRemovedRecord>(((TransactionRecord)store.Records[^1].Record).Operations[^1]);
        Assert.Empty(store.Fold().Jobs);
        Assert.Equal(2, store.Fold().Queues.Single().Messages.Count);
    }

    [Fact]
    public async Task Recovery_RebuildsJobsAtTheirPosition()
    {
        var store = new MemoryStore();
        var clock = new ManualClock { FreezeTimers = true };
        await using (var first = new MessageBroker("b1", new BrokerOptions(), new Events.EventLog(), NullLogger.Instance, clock, store))
        {
            first.Start();
            var message = TestMessages.Create(first, Q("q"), "m", headers: [new(ScheduleSpec.DelayHeader, "100"), new(ScheduleSpec.RepeatHeader, "2"), new(ScheduleSpec.PeriodHeader, "100")]) with { Persistent = true };
            await first.Schedule(message, ScheduleSpec.FromHeaders(message.Headers)!);
            clock.Advance(TimeSpan.FromMilliseconds(100));
            first.RunDueJobs();
        }
        await using var second = new MessageBroker("b1", new BrokerOptions(), new Events.EventLog(), NullLogger.Instance, clock, store);
        second.Recover(store, store.Records);
        var job = Assert.Single(second.GetScheduled());
        Assert.Equal(1, job.RepeatsLeft);
        Assert.Equal(1, job.Fired);
        second.Start();
        var sink = new RecordingSink();
        second.Subscribe(Q("q"), sink, new SubscriptionOptions { Prefetch = 100, Owner = "c" });
        Assert.Single(sink.Deliveries);
        clock.Advance(TimeSpan.FromMilliseconds(1000));
        second.RunDueJobs();
        // Late by 900 ms: one delivery now, and the last one a whole period after it, not bunched with it.
        Assert.Equal(2, sink.Deliveries.Count);
        clock.Advance(TimeSpan.FromMilliseconds(99));
        second.RunDueJobs();
        Assert.Equal(2, sink.Deliveries.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        second.RunDueJobs();
        Assert.Equal(3, sink.Deliveries.Count);
        Assert.Empty(second.GetScheduled());
    }

    [Fact]
    public void ResentScheduledSend_SameProducerSequence_SchedulesOnce_MarkJournaledWithTheJob()
    {
        var store = new MemoryStore();
        using var t = Broker(store);
        var first = Scheduled(t, "once", (ScheduleSpec.DelayHeader, "1000"), ("producer-id", "p1"), ("producer-seq", "7"));
        var resent = first with { MessageId = t.Broker.NextMessageId() };

        t.Broker.Schedule(first, Spec(first));
        t.Broker.Schedule(resent, Spec(resent));

        Assert.Equal(first.MessageId, Assert.Single(t.Broker.GetScheduled()).JobId);
        var state = store.Fold();
        Assert.Single(state.Jobs);
        Assert.True(state.Producers["p1"].Contains(7), "the producer's mark travels with the job");
    }

    [Fact]
    public void Transaction_JobStartsAtCommitOnly()
    {
        using var t = Broker();
        var (_, sink) = t.Subscribe(Q("q"));
        var transaction = t.Broker.BeginTransaction("tx");
        var message = Scheduled(t, "tx", (ScheduleSpec.DelayHeader, "100"));
        transaction.Schedule(message, Spec(message));
        Assert.Empty(t.Broker.GetScheduled());
        transaction.Commit("u");
        Assert.Single(t.Broker.GetScheduled());
        Advance(t, 100);
        Assert.Single(sink.Deliveries);
    }

    [Fact]
    public void Cron_EachFiringStartsTheRepeatCycle()
    {
        using var t = Broker();
        var (_, sink) = t.Subscribe(Q("q"));
        // The clock starts at 12:00:00 UTC: every 5 minutes, 2 deliveries 1 s apart, 10 s after the firing.
        var message = Scheduled(t, "cron", (ScheduleSpec.CronHeader, "*/5 * * * *"), (ScheduleSpec.DelayHeader, "10000"),
            (ScheduleSpec.RepeatHeader, "1"), (ScheduleSpec.PeriodHeader, "1000"));
        t.Broker.Schedule(message, Spec(message));
        var start = t.Clock.NowMs;
        Assert.Equal(start + 300_000 + 10_000, t.Broker.GetScheduled().Single().NextDue.ToUnixTimeMilliseconds());

        Advance(t, 310_000);
        Advance(t, 1000);
        Assert.Equal(2, sink.Deliveries.Count);
        Assert.Equal(start + 600_000 + 10_000, t.Broker.GetScheduled().Single().NextDue.ToUnixTimeMilliseconds());
        Advance(t, 299_000);
        Assert.Equal(3, sink.Deliveries.Count);
        Assert.Single(t.Broker.GetScheduled());
    }

    [Theory]
    [InlineData(ScheduleSpec.DelayHeader, "soon")]
    [InlineData(ScheduleSpec.DelayHeader, "-5")]
    [InlineData(ScheduleSpec.PeriodHeader, "1.5")]
    [InlineData(ScheduleSpec.RepeatHeader, "99999999999")]
    [InlineData(ScheduleSpec.CronHeader, "* * *")]
    [InlineData(ScheduleSpec.CronHeader, "61 * * * *")]
    [InlineData(ScheduleSpec.CronHeader, "0 0 30 2 *")]
    public void BadHeader_RefusedNamingIt(string header, string value)
    {
        var e = Assert.Throws<BrokerException>(() => ScheduleSpec.FromHeaders([new(header, value)]));
        Assert.StartsWith(header, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Headers_ZeroDelayOrJobIdMeanSendNow()
    {
        Assert.Null(ScheduleSpec.FromHeaders([new("x", "1")]));
        Assert.Null(ScheduleSpec.FromHeaders([new(ScheduleSpec.DelayHeader, "0")]));
        Assert.Null(ScheduleSpec.FromHeaders([new(ScheduleSpec.DelayHeader, "1000"), new(ScheduleSpec.JobIdHeader, "ID:x")]));
        Assert.Equal(new ScheduleSpec(1000, 0, 0, null), ScheduleSpec.FromHeaders([new(ScheduleSpec.DelayHeader, "1000.0")]));
    }
}

/// <summary>Five-field cron entries: the next firing after a time, edge cases included (UTC).</summary>
public class CronScheduleTests
{
    private static long At(string utc) => DateTimeOffset.Parse(utc, System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    private static string Next(string cron, string after) =>
        DateTimeOffset.FromUnixTimeMilliseconds(CronSchedule.Parse(cron).NextAfter(At(after))!.Value).ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("* * * * *", "2025-01-01T12:00:00Z", "2025-01-01 12:01")]
    [InlineData("* * * * *", "2025-01-01T12:00:59.999Z", "2025-01-01 12:01")]
    [InlineData("0 * * * *", "2025-01-01T12:00:00Z", "2025-01-01 13:00")]
    [InlineData("*/15 * * * *", "2025-01-01T12:16:00Z", "2025-01-01 12:30")]
    [InlineData("5,10-12 * * * *", "2025-01-01T12:10:00Z", "2025-01-01 12:11")]
    [InlineData("10-30/10 9 * * *", "2025-01-01T09:20:00Z", "2025-01-01 09:30")]
    [InlineData("0 0 1 * *", "2025-12-15T00:00:00Z", "2026-01-01 00:00")]
    [InlineData("0 0 29 2 *", "2025-01-01T00:00:00Z", "2028-02-29 00:00")]
    [InlineData("0 0 31 * *", "2025-04-01T00:00:00Z", "2025-05-31 00:00")]
    [InlineData("30 8 * * MON-FRI", "2025-01-03T09:00:00Z", "2025-01-06 08:30")]
    [InlineData("0 0 * * 7", "2025-01-01T00:00:00Z", "2025-01-05 00:00")]
    [InlineData("0 0 13 * 5", "2025-01-01T00:00:00Z", "2025-01-03 00:00")]
    [InlineData("59 23 31 DEC *", "2025-12-31T23:59:00Z", "2026-12-31 23:59")]
    [InlineData("0 12 * JAN,jul *", "2025-02-01T00:00:00Z", "2025-07-01 12:00")]
    public void NextAfter_FindsTheFirstLaterFiring(string cron, string after, string expected) =>
        Assert.Equal(expected, Next(cron, after));

    [Theory]
    [InlineData("* * * *")]
    [InlineData("60 * * * *")]
    [InlineData("* 24 * * *")]
    [InlineData("* * 0 * *")]
    [InlineData("* * * 13 *")]
    [InlineData("* * * * 8")]
    [InlineData("5-1 * * * *")]
    [InlineData("*/0 * * * *")]
    [InlineData("1,,2 * * * *")]
    public void Parse_RefusesBadEntries(string cron) => Assert.Throws<FormatException>(() => CronSchedule.Parse(cron));

    [Fact]
    public void NextAfter_NullWhenItNeverFires() => Assert.Null(CronSchedule.Parse("0 0 30 2 *").NextAfter(0));
}
